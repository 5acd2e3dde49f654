"""A simulated node's store lives in memory, and must behave as its file does across a crash:
what was committed survives the node's connection closing, what was not is gone, and the run
directory ends up holding the database file the other backends leave."""

from __future__ import annotations

from pathlib import Path

from chaosnet.backends.sim.stores import MemoryStores
from reference_node.core.chain import ChainState
from reference_node.core.mining import build_block, solve
from reference_node.core.params import ChainParams
from reference_node.store import Store

PARAMS = ChainParams(difficulty=4, genesis_accounts=4)
T0 = 1_800_000_000_000


def _open(database: Path | str) -> tuple[Store, ChainState]:
    store = Store(database)
    chain = ChainState(PARAMS, store)
    store.load(chain)
    return store, chain


def _mine(store: Store, chain: ChainState, at_ms: int) -> str:
    block = solve(build_block(chain, chain.tip, (), "aa" * 32, at_ms))
    store.apply(chain.add_block(block, at_ms), chain)
    return block.hash


def test_a_crash_keeps_what_was_committed_and_only_that(tmp_path: Path) -> None:
    stores = MemoryStores()
    stores.add("n1", tmp_path / "n1" / "chain.sqlite3")
    store, chain = _open(stores.uri("n1"))
    tip = _mine(store, chain, T0 + 1000)
    store.db.execute("BEGIN IMMEDIATE")  # a write the node had not committed when it died
    store.db.execute("INSERT INTO meta VALUES ('half-written', 'x')")
    store.close()

    store, again = _open(stores.uri("n1"))
    assert again.tip.hash == tip and again.height == 1
    assert store.db.execute("SELECT value FROM meta WHERE key = 'half-written'").fetchone() is None
    store.close()
    stores.close()


def test_each_node_has_its_own_database_and_teardown_writes_their_files(tmp_path: Path) -> None:
    stores, other = MemoryStores(), MemoryStores()  # two worlds in one process share nothing
    files = {name: tmp_path / name / "chain.sqlite3" for name in ("n1", "n2")}
    for name, file in files.items():
        stores.add(name, file)
    other.add("n1", tmp_path / "other.sqlite3")
    store, chain = _open(stores.uri("n1"))
    tip = _mine(store, chain, T0 + 1000)
    store.close()
    for database in (stores.uri("n2"), other.uri("n1")):
        store, fresh = _open(database)
        assert fresh.height == 0
        store.close()

    stores.close()
    other.close()
    store, on_disk = _open(files["n1"])
    assert on_disk.tip.hash == tip
    store.close()
    assert files["n2"].exists()
