"""A pushed compact block is judged by its header first: every peer pushes each new block, so
most pushes a node receives are of a block it already holds, and those are acknowledged without
reading the rest. A block it does not hold is still read and checked whole. Real node apps in
one process (ASGI)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from reference_node.core.keys import account_address, account_key
from reference_node.core.mining import build_block, solve
from reference_node.core.tx import make_transfer
from tests.unit.node.asgi_network import Network, dial_neighbour, node


class SlowFetches(Network):
    """The in-process network, with `/p2p/getblocktxn` answers delayed and every compact-block
    push recorded as (sender, receiver's address)."""

    def __init__(self) -> None:
        super().__init__()
        self.pushes: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/p2p/getblocktxn":
            await asyncio.sleep(0.2)
        if request.url.path == "/p2p/cmpctblock":
            receiver = f"{request.url.host}:{request.url.port}"
            self.pushes.append((request.headers["x-chaosnet-node"], receiver))
        return await super().handle_async_request(request)


def push(network: Network, to: str, compact: dict[str, Any], sender: str) -> httpx.Response:
    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=network, base_url=f"http://{to}") as client:
            return await client.post(
                "/p2p/cmpctblock", json=compact, headers={"x-chaosnet-node": sender}
            )

    return asyncio.run(post())


def test_a_block_held_is_acknowledged_by_its_header_and_a_new_one_is_read_whole(
    tmp_path: Path,
) -> None:
    network = Network()
    a, b = node(tmp_path, "a", 1, network), node(tmp_path, "b", 2, network)
    paid = make_transfer(account_key(0), account_address(1), 5, 1, 0)
    chain = a.node.chain
    try:
        a.node.submit_tx(paid)
        b.node.submit_tx(paid)
        block = solve(build_block(chain, chain.tip, [paid], "a" * 64, int(time.time())))
        a.node.receive_block(block)
        compact = a.peers.compact.message(block)
        garbled = {**compact, "short_ids": ["not hex"] * len(compact["short_ids"])}

        # a new block is read whole: its malformed short ids are refused (and their sender banned)
        assert push(network, b.config.address, garbled, "x").status_code == 400
        assert b.node.chain.tip.hash != block.hash

        first = push(network, b.config.address, compact, "a")
        assert first.json() == {"accepted": True, "missing": 0}
        assert b.node.chain.tip.hash == block.hash

        # pushed again by another peer: acknowledged on its header, the rest unread
        again = push(network, b.config.address, garbled, "c")
        assert again.status_code == 200
        assert again.json() == {"accepted": True, "missing": 0}
        assert not b.peers.is_banned("c")
    finally:
        a.store.close()
        b.store.close()


def test_a_block_is_not_pushed_back_to_a_peer_that_pushed_it_first(tmp_path: Path) -> None:
    """While b fetches a block's missing tx from a, c pushes b the same block: when b takes it,
    it pushes it on to d only, not back to a (its source) nor to c (known to have it)."""
    network = SlowFetches()
    a, b, c, d = (node(tmp_path, name, port, network) for port, name in enumerate("abcd", 1))
    paid = make_transfer(account_key(0), account_address(1), 5, 1, 0)
    chain = a.node.chain
    block = solve(build_block(chain, chain.tip, [paid], "a" * 64, int(time.time())))
    compact = a.peers.compact.message(block)  # a answers getblocktxn for it from memory

    async def scene() -> list[dict[str, Any]]:
        for peer in (a, c, d):
            await dial_neighbour(b, peer.config.address)
        async with httpx.AsyncClient(
            transport=network, base_url=f"http://{b.config.address}"
        ) as client:
            answers = []
            for sender in ("a", "c"):
                answer = await client.post(
                    "/p2p/cmpctblock", json=compact, headers={"x-chaosnet-node": sender}
                )
                answers.append(answer.json())
        await asyncio.sleep(1.0)
        for app in (a, b, c, d):
            await app.peers.stop()
        return answers

    try:
        answers = asyncio.run(scene())
        assert answers == [{"accepted": False, "missing": 1}, {"accepted": True, "missing": 0}]
        assert b.node.chain.tip.hash == block.hash == d.node.chain.tip.hash
        assert [to for sender, to in network.pushes if sender == "b"] == [d.config.address]
    finally:
        for app in (a, b, c, d):
            app.store.close()
