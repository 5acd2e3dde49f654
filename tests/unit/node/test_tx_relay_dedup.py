"""A transaction waiting in a peer's relay queue is not sent to that peer once the peer has sent
it to us: in a dense network most of a batch reaches a peer from several sides within one batch
interval, and each copy costs both nodes a parse and the wire its bytes. Two real node apps in
one process (ASGI), the messages between them recorded."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import httpx

from reference_node.core.keys import account_address, account_key
from reference_node.core.tx import Transaction, make_transfer
from reference_node.p2p.manager import TX_BATCH_INTERVAL
from tests.unit.node.asgi_network import Network, node


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
        a.peers.table.learn(b.config.address, seed=True)
        await a.peers._dial(b.config.address)
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
