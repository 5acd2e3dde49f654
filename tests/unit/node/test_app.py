"""`NodeApp` builds a node's parts without opening a socket: time and the HTTP transport come in
through the constructor (what a deterministic simulator needs), and stop closes what start opened.

Real parts throughout: a real SQLite file, the real FastAPI app driven in-process through
`httpx.ASGITransport`, the real lifespan (peer loops, miner, persona) started and stopped.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import httpx
import pytest

from reference_node.app import NodeApp
from reference_node.core.keys import account_address, account_key
from reference_node.core.mining import build_block, solve
from reference_node.core.tx import make_transfer
from reference_node.node import NodeConfig

FIXED_TIME = 1_800_000_000.25


def config(tmp_path: Path, **overrides: object) -> NodeConfig:
    return NodeConfig(
        port=1, data_dir=tmp_path / "db", node_id="sim-1", difficulty=4, genesis_accounts=4,
        **overrides,  # type: ignore[arg-type]
    )  # fmt: skip


def test_the_clock_comes_in_through_the_constructor(tmp_path):
    app = NodeApp(config(tmp_path), clock=lambda: FIXED_TIME)
    chain = app.node.chain
    block = solve(build_block(chain, chain.tip, (), "aa" * 32, app.node.now_ms()))
    tx = make_transfer(account_key(0), account_address(1), 5, 1, 0)

    async def drive() -> tuple[int, int, dict]:
        transport = httpx.ASGITransport(app=app.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://sim-1") as client:
            pushed = await client.post(
                "/p2p/block", json={"block": block.to_json()}, headers={"x-chaosnet-node": "p"}
            )
            accepted = await client.post("/tx", json=tx.to_json())
            events = (await client.get("/events")).json()
        return pushed.status_code, accepted.status_code, events

    pushed, accepted, events = asyncio.run(drive())
    assert (pushed, accepted) == (200, 202)
    assert [e["kind"] for e in events["events"]] == ["block", "tip"]
    assert {e["time"] for e in events["events"]} == {FIXED_TIME}
    app.store.close()


def test_stop_undoes_start_in_order_and_closes_the_database(tmp_path):
    app = NodeApp(config(tmp_path, mine=True, block_interval=0.05, persona="sybil"))

    async def lifetime() -> int:
        async with app.lifespan(app.http):
            await asyncio.sleep(0.5)
            height = app.node.chain.height
        return height

    height = asyncio.run(lifetime())
    assert height >= 1  # the miner ran between start and stop
    with pytest.raises(sqlite3.ProgrammingError):
        app.store.db.execute("SELECT 1")
    # the database is whole: a new node on the same directory reads the same tip back
    again = NodeApp(config(tmp_path))
    assert again.node.chain.height == height
    again.store.close()


def test_the_http_app_builds_its_routes_on_first_use_whichever_it_is(tmp_path):
    """The routers are included lazily (a simulator's nodes mostly skip the HTTP app): asked for
    its document, its routes or an answer first, the app is the whole app every time."""
    apps = [NodeApp(config(tmp_path / str(i))).http for i in range(3)]
    document, routes = apps[0].openapi(), apps[1].routes
    assert {"/status", "/metrics", "/p2p/tx"} <= set(document["paths"])
    included = [r.original_router for r in routes if hasattr(r, "original_router")]
    paths = {route.path for router in included for route in router.routes}
    assert {"/status", "/metrics", "/p2p/tx"} <= paths

    async def served() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=apps[2])
        async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
            return [await client.get("/health"), await client.put("/p2p/addr")]

    health, wrong_method = asyncio.run(served())
    assert health.json() == {"ok": True}
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET, POST"
