import sqlite3

import pytest

from reference_node.core.chain import ChainState
from reference_node.core.mining import build_block, solve
from reference_node.core.params import ChainParams
from reference_node.store import Store, StoreError

PARAMS = ChainParams(difficulty=4, genesis_accounts=4)


def _mine(chain: ChainState, store: Store, harness, parent=None, txs=(), miner="aa" * 32):
    harness.clock += 1000
    block = solve(build_block(chain, parent or chain.tip, txs, miner, harness.clock))
    update = chain.add_block(block, harness.clock)
    store.apply(update, chain)
    return block


def _open(path, prune=None, durable=True):
    store = Store(path, prune, durable=durable)
    chain = ChainState(PARAMS, store)
    store.load(chain)
    return store, chain


def test_state_survives_reopen_including_a_reorg(tmp_path, harness):
    db = tmp_path / "chain.sqlite3"
    store, chain = _open(db)
    genesis = chain.tip
    _mine(chain, store, harness, txs=[harness.transfer(0, 1, 10, 0)])
    side = [_mine(chain, store, harness, parent=genesis, miner="bb" * 32)]
    side.append(_mine(chain, store, harness, parent=chain.get(side[0].hash), miner="bb" * 32))
    assert chain.tip.hash == side[-1].hash
    accounts = dict(chain.state.accounts)
    store.close()

    store, again = _open(db)
    assert again.tip.hash == side[-1].hash and again.height == 2
    assert again.state.accounts == accounts
    assert store.tx_location(side[-1].txs[0].txid) == (side[-1].hash, 2, 0)
    assert again.get_block(side[0].hash) == side[0]
    _mine(again, store, harness)
    assert again.height == 3


def test_pruning_keeps_headers_and_recent_bodies(tmp_path, harness):
    store, chain = _open(tmp_path / "chain.sqlite3", prune=3)
    blocks = [_mine(chain, store, harness) for _ in range(8)]
    assert store.get_block(blocks[0].hash) is None
    assert store.get_block(blocks[-1].hash) == blocks[-1]
    assert chain.get(blocks[0].hash).has_data


def test_a_database_of_another_network_is_refused(tmp_path):
    store, _ = _open(tmp_path / "chain.sqlite3")
    store.close()
    other = Store(tmp_path / "chain.sqlite3")
    with pytest.raises(StoreError, match="genesis"):
        other.load(ChainState(ChainParams(difficulty=5, genesis_accounts=4), other))


def test_a_failed_write_rolls_back_everything(tmp_path, harness):
    store, chain = _open(tmp_path / "chain.sqlite3")
    block = solve(build_block(chain, chain.tip, (), "aa" * 32, harness.clock + 1000))
    update = chain.add_block(block, harness.clock + 1000)
    store.db.execute(
        "CREATE TRIGGER boom BEFORE INSERT ON undo BEGIN SELECT RAISE(ABORT, 'x'); END"
    )
    with pytest.raises(sqlite3.IntegrityError):
        store.apply(update, chain)
    assert store.db.execute("SELECT count(*) FROM blocks").fetchone() == (0,)
    assert store.db.execute("SELECT value FROM meta WHERE key='tip'").fetchone()[0] != block.hash


def test_a_store_not_made_durable_keeps_what_was_committed_when_closed(tmp_path, harness):
    """The simulator's stores (`durable=False`): a crash there closes the connection between
    transactions. What was committed is in the file for the restart and for anyone reading it
    afterwards; a write still open when the connection closed is gone."""
    db = tmp_path / "chain.sqlite3"
    store, chain = _open(db, durable=False)
    block = _mine(chain, store, harness)
    store.db.execute("BEGIN IMMEDIATE")
    store.db.execute("INSERT INTO meta VALUES ('half-written', 'x')")
    store.close()

    store, again = _open(db, durable=False)
    assert again.tip.hash == block.hash
    assert store.db.execute("SELECT value FROM meta WHERE key = 'half-written'").fetchone() is None
    store.close()
    store, durable = _open(db)  # the file is an ordinary database, as the other backends leave
    assert durable.tip.hash == block.hash
