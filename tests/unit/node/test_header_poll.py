"""The periodic header poll asks only peers that have gone quiet: a peer whose pushed blocks reach
us has told us its tip, so polling it finds nothing (with blocks flowing, those polls were a
tenth of a 200-node network's messages), whether the block was new to us or one we hold. A peer
that stops pushing is polled again once SYNC_QUIET has passed, and one that stops answering is
polled every round until it is dropped. Real node apps in one process (ASGI), the getheaders
between them recorded."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx

from reference_node.app import NodeApp
from reference_node.core.mining import build_block, solve
from reference_node.p2p.compact import CompactBlock
from reference_node.p2p.sync import SYNC_INTERVAL, SYNC_QUIET
from tests.unit.node.asgi_network import Network, dial_neighbour, node


class PollRecordingNetwork(Network):
    def __init__(self) -> None:
        super().__init__()
        self.polls: list[tuple[str, str]] = []
        """(asker, asked address) of every `/p2p/getheaders`."""
        self.down: set[str] = set()
        """Addresses that refuse connections (a crashed node)."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        address = f"{request.url.host}:{request.url.port}"
        if request.url.path == "/p2p/getheaders":
            self.polls.append((request.headers["x-chaosnet-node"], address))
        if address in self.down:
            raise httpx.ConnectError("connection refused", request=request)
        return await super().handle_async_request(request)


def three_nodes(
    tmp_path: Path, network: Network, now: list[float]
) -> tuple[NodeApp, NodeApp, NodeApp]:
    """a, b and c on `network`; a's clock reads `now[0]`."""
    a, b, c = (node(tmp_path, name, port, network) for port, name in enumerate("abc", start=1))
    a.peers.monotonic = a.peers.sync.monotonic = lambda: now[0]
    return a, b, c


def test_a_peer_whose_blocks_reach_us_is_not_polled_until_it_goes_quiet(tmp_path: Path) -> None:
    network = PollRecordingNetwork()
    now = [1000.0]
    a, b, c = three_nodes(tmp_path, network, now)
    chain = a.node.chain
    block = solve(build_block(chain, chain.tip, [], "b" * 64, int(time.time())))

    async def polled_by_a() -> list[str]:
        network.polls.clear()
        a.peers.sync._sync_some()
        await asyncio.sleep(0.05)
        return sorted(asked for asker, asked in network.polls if asker == "a")

    async def push_from(sender: str) -> None:
        async with httpx.AsyncClient(transport=network) as client:
            pushed = await client.post(
                f"http://{a.config.address}/p2p/cmpctblock",
                json=CompactBlock.of(block).to_json(),
                headers={"x-chaosnet-node": sender},
            )
        assert pushed.json() == {"accepted": True, "missing": 0}

    async def scene() -> tuple[list[str], ...]:
        for peer in (b, c):
            await dial_neighbour(a, peer.config.address)
        await asyncio.sleep(0.05)  # the handshakes' header exchanges
        now[0] += SYNC_QUIET + 1
        both_quiet = await polled_by_a()
        now[0] += SYNC_QUIET + 1
        await push_from("b")  # new to a
        b_pushed = await polled_by_a()
        now[0] += SYNC_QUIET + 1
        await push_from("c")  # one a holds by now
        c_pushed = await polled_by_a()
        now[0] += SYNC_QUIET + 1
        quiet_again = await polled_by_a()
        for app in (a, b, c):
            await app.peers.stop()
        return both_quiet, b_pushed, c_pushed, quiet_again

    try:
        both_quiet, b_pushed, c_pushed, quiet_again = asyncio.run(scene())
    finally:
        for app in (a, b, c):
            app.store.close()
    assert a.node.chain.tip.hash == block.hash
    assert both_quiet == sorted([b.config.address, c.config.address])
    assert b_pushed == [c.config.address]
    assert c_pushed == [b.config.address]
    assert quiet_again == sorted([b.config.address, c.config.address])


def test_a_peer_that_stops_answering_is_polled_every_round_until_it_is_dropped(
    tmp_path: Path,
) -> None:
    """Asking is not hearing: a crashed peer must stay in the poll, whose refusals drop it and
    free its slot (an eclipse takes the slots a crash leaves, and a node waits for none)."""
    network = PollRecordingNetwork()
    now = [1000.0]
    a, b, c = three_nodes(tmp_path, network, now)

    async def scene() -> list[list[str]]:
        for peer in (b, c):
            await dial_neighbour(a, peer.config.address)
        await asyncio.sleep(0.05)  # the handshakes' header exchanges: both heard
        now[0] += SYNC_QUIET
        network.down.add(c.config.address)
        rounds = []
        for _ in range(3):
            now[0] += SYNC_INTERVAL
            network.polls.clear()
            a.peers.sync._sync_some()
            await asyncio.sleep(0.05)
            rounds.append(sorted(asked for asker, asked in network.polls if asker == "a"))
        for app in (a, b, c):
            await app.peers.stop()
        return rounds

    try:
        rounds = asyncio.run(scene())
    finally:
        for app in (a, b, c):
            app.store.close()
    # both quiet at first; then b has answered, and only the silent c is asked again
    assert rounds[0] == sorted([b.config.address, c.config.address])
    assert rounds[1] == [c.config.address]
    assert "c" not in a.peers.table.peers  # two refusals weigh MAX_FAILURES
    assert rounds[2] == []
