"""Each node takes each transaction's body about once: transactions are announced by txid
(`/p2p/inv`), a node asks one announcer at a time for a body, and a queued transaction is not
offered to a peer that has sent it to us meanwhile. In a dense network a transaction reaches a
node from most of its peers within one batch interval; pushed whole, each copy cost both nodes
a parse and the wire its bytes. Real node apps in one process (ASGI), the messages between them
recorded."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import httpx

from reference_node.core.keys import account_address, account_key
from reference_node.core.mining import build_block, solve
from reference_node.core.tx import Transaction, make_transfer
from reference_node.p2p.client import encode
from reference_node.p2p.manager import TX_BATCH_INTERVAL, TX_REQUEST_TIMEOUT, tx_batch
from tests.unit.node.asgi_network import Network, dial_neighbour, node


class RecordingNetwork(Network):
    """The in-process network, recording every `/p2p/tx` batch."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[tuple[str, str, list[str]]] = []
        """(sender, receiver, txids) of every `/p2p/tx` batch."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/p2p/tx":
            body = json.loads(await request.aread())
            txids = [Transaction.from_json(tx).txid for tx in body["txs"]]
            receiver = f"{request.url.host}:{request.url.port}"
            self.batches.append((request.headers["x-chaosnet-node"], receiver, txids))
        return await super().handle_async_request(request)


def test_a_queued_tx_the_peer_sent_us_meanwhile_is_not_sent_back(tmp_path: Path) -> None:
    network = RecordingNetwork()
    a, b = node(tmp_path, "a", 1, network), node(tmp_path, "b", 2, network)
    first, second, third = (
        make_transfer(account_key(0), account_address(1), 1, 1, nonce) for nonce in range(3)
    )

    async def scene() -> None:
        await dial_neighbour(a, b.config.address)
        a.node.submit_tx(first)  # an idle link: goes to b at once
        await asyncio.sleep(0)
        a.node.submit_tx(second)  # these two wait for the next batch
        a.node.submit_tx(third)
        # b relays `second` to a before a's batch interval is over
        async with httpx.AsyncClient(transport=network, base_url=f"http://{a.config.address}") as c:
            answer = await c.post(
                "/p2p/tx", json={"txs": [second.to_json()]}, headers={"x-chaosnet-node": "b"}
            )
            assert answer.status_code == 200
        await asyncio.sleep(3 * TX_BATCH_INTERVAL)
        await a.peers.stop()
        await b.peers.stop()

    try:
        asyncio.run(scene())
    finally:
        a.store.close()
        b.store.close()
    sent_to_b = [txid for sender, to, txids in network.batches if sender == "a" for txid in txids]
    assert sent_to_b == [first.txid, third.txid]
    assert {first.txid, third.txid} <= set(b.node.mempool.txs)


def test_in_a_triangle_each_node_takes_each_tx_body_once(tmp_path: Path) -> None:
    network = RecordingNetwork()
    apps = [node(tmp_path, name, port, network) for port, name in enumerate("abc", start=1)]
    a, b, c = apps
    txs = [make_transfer(account_key(0), account_address(1), 1, 1, nonce) for nonce in range(5)]

    async def scene() -> None:
        for dialler, target in ((a, b), (a, c), (b, c)):
            await dial_neighbour(dialler, target.config.address)
        for tx in txs:
            a.node.submit_tx(tx)
            await asyncio.sleep(0.05)
        await asyncio.sleep(4 * TX_BATCH_INTERVAL)
        for app in apps:
            await app.peers.stop()

    try:
        asyncio.run(scene())
    finally:
        for app in apps:
            app.store.close()
    txids = {tx.txid for tx in txs}
    assert txids <= set(b.node.mempool.txs) and txids <= set(c.node.mempool.txs)
    bodies = [(to, txid) for _, to, batch in network.batches for txid in batch]
    assert sorted(bodies) == sorted({*bodies}), "a node took the same tx body twice"
    assert len(bodies) == 2 * len(txs)


def test_an_announced_tx_is_asked_of_one_announcer_until_its_request_times_out(
    tmp_path: Path,
) -> None:
    a = node(tmp_path, "a", 1, Network())
    now = [100.0]
    a.peers.monotonic = lambda: now[0]
    tx = make_transfer(account_key(0), account_address(1), 1, 1, 0)
    try:
        assert a.peers.on_tx_inv([tx.txid], "b") == ([tx.txid], [])
        assert a.peers.on_tx_inv([tx.txid], "c") == ([], [tx.txid])
        now[0] += TX_REQUEST_TIMEOUT + 0.1  # b never sent it: the next announcer is asked
        assert a.peers.on_tx_inv([tx.txid], "c") == ([tx.txid], [])
        a.peers.on_tx(tx, "c")
        assert a.peers.on_tx_inv([tx.txid], "d") == ([], [])
    finally:
        a.store.close()


def test_a_tx_whose_block_a_reorg_took_away_is_no_longer_had(tmp_path: Path) -> None:
    """`holds_tx` answers announcements from memory for the latest blocks' txs; a reorg must not
    leave it claiming a tx the active chain no longer holds (a peer would never be asked for it)."""
    a = node(tmp_path, "a", 1, Network())
    chain = a.node.chain
    paid = make_transfer(account_key(0), account_address(1), 5, 1, 0)
    rival = make_transfer(account_key(0), account_address(2), 5, 1, 0)  # the same nonce
    stamp = int(time.time()) - 100

    def mine(parent: str, txs: list[Transaction], miner: str) -> str:
        nonlocal stamp
        stamp += 1
        block = solve(build_block(chain, chain.entries[parent], txs, miner, stamp))
        a.node.receive_block(block)
        return block.hash

    try:
        genesis = chain.tip.hash
        mine(genesis, [paid], "aa" * 32)
        assert a.node.holds_tx(paid.txid)
        side = mine(mine(genesis, [rival], "bb" * 32), [], "bb" * 32)
        assert chain.tip.hash == side
        assert a.node.holds_tx(rival.txid) and not a.node.holds_tx(paid.txid)
    finally:
        a.store.close()


def test_a_relayed_batch_is_the_batch_encoded_whole_from_each_txs_own_text():
    """Peers get each transaction's cached text spliced into the batch: the same bytes as
    encoding the batch whole, so a peer of any version parses it as before."""
    txs = [make_transfer(account_key(0), account_address(1), 5, 1, nonce) for nonce in range(3)]
    assert tx_batch(txs) == encode({"txs": [tx.to_json() for tx in txs]})
    assert [Transaction.from_json(t) for t in json.loads(tx_batch(txs))["txs"]] == txs
    assert tx_batch([]) == b'{"txs":[]}'
