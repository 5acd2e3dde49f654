"""A relayed transaction batch is persisted with one SQLite commit, atomically, before the answer.

Through the real app (ASGI), the real store on disk; "after a crash" is a second connection to
the same database, which sees exactly what was committed (WAL), as a restarted node would.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from reference_node.app import NodeApp
from reference_node.core.keys import account_address, account_key
from reference_node.core.tx import Transaction, make_transfer
from reference_node.node import NodeConfig, Relay


class RecordingRelay(Relay):
    def __init__(self) -> None:
        self.txs: list[str] = []

    def tx(self, tx: Transaction, origin: str | None) -> None:
        self.txs.append(tx.txid)


def start(tmp_path: Path) -> tuple[NodeApp, RecordingRelay, list[str]]:
    """A node whose relays are recorded and whose SQLite statements are traced."""
    config = NodeConfig(
        port=1, data_dir=tmp_path / "db", node_id="n1", difficulty=4, genesis_accounts=4
    )
    app = NodeApp(config)
    relay = RecordingRelay()
    app.node.connect_relay(relay)
    statements: list[str] = []
    app.store.db.set_trace_callback(statements.append)
    return app, relay, statements


def post_batch(app: NodeApp, txs: list[dict[str, Any]]) -> httpx.Response:
    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://n1") as client:
            return await client.post(
                "/p2p/tx", json={"txs": txs}, headers={"x-chaosnet-node": "peer"}
            )

    return asyncio.run(post())


def stored_mempool(tmp_path: Path) -> set[str]:
    """What a node restarted after a crash would find: another connection, committed rows only."""
    with sqlite3.connect(tmp_path / "db" / "chain.sqlite3") as db:
        return {txid for (txid,) in db.execute("SELECT txid FROM mempool")}


def transfers(count: int, fee: int = 1) -> list[Transaction]:
    return [
        make_transfer(account_key(i % 4), account_address((i + 1) % 4), 1, fee, i // 4)
        for i in range(count)
    ]


def test_a_batch_is_durable_with_one_commit_before_the_answer_and_relayed_after(tmp_path):
    app, relay, statements = start(tmp_path)
    batch = transfers(40)
    answer = post_batch(app, [t.to_json() for t in batch])
    assert answer.json() == {"accepted": 40, "rejected": []}
    assert stored_mempool(tmp_path) == {t.txid for t in batch}
    assert statements.count("COMMIT") == 1
    assert relay.txs == [t.txid for t in batch]
    app.store.close()


def test_a_penalised_tx_stops_the_batch_but_what_came_before_it_is_kept(tmp_path):
    app, relay, _ = start(tmp_path)
    good = transfers(3)
    forged = {**transfers(4)[3].to_json(), "signature": "00" * 64}
    answer = post_batch(app, [*(t.to_json() for t in good), forged])
    assert answer.status_code == 400
    assert stored_mempool(tmp_path) == {t.txid for t in good}
    assert relay.txs == [t.txid for t in good]
    app.store.close()


def test_a_failed_commit_stores_none_of_the_batch_and_relays_none(tmp_path):
    app, relay, _ = start(tmp_path)
    batch = transfers(5)
    app.store.db.execute(
        f"CREATE TRIGGER boom BEFORE INSERT ON mempool WHEN NEW.txid = '{batch[-1].txid}' "
        "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):  # the ASGI transport re-raises; TCP gets a 500
        post_batch(app, [t.to_json() for t in batch])
    assert stored_mempool(tmp_path) == set()
    assert relay.txs == []
    app.store.close()


def test_a_tx_replaced_within_the_batch_leaves_only_its_replacement_stored(tmp_path):
    app, _, _ = start(tmp_path)
    first, replacement = transfers(1, fee=1)[0], transfers(1, fee=2)[0]
    answer = post_batch(app, [first.to_json(), replacement.to_json()])
    assert answer.json() == {"accepted": 2, "rejected": []}
    assert stored_mempool(tmp_path) == {replacement.txid}
    app.store.close()
