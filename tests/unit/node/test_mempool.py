import random

import pytest

from reference_node.core.errors import InvalidTx
from reference_node.core.mempool import Mempool
from reference_node.core.params import GENESIS_BALANCE


def test_select_orders_by_fee_and_respects_nonces(harness):
    pool = Mempool()
    state = harness.chain.state
    low, high_next = harness.transfer(0, 1, 1, 0, fee=1), harness.transfer(0, 1, 1, 1, fee=100)
    rich = harness.transfer(1, 2, 1, 0, fee=10)
    for tx in (high_next, low, rich):
        pool.add(tx, state)
    assert pool.select(state, 10) == [rich, low, high_next]
    assert pool.select(state, 1) == [rich]


def test_double_spend_refused_unless_fee_is_higher(harness):
    pool = Mempool()
    state = harness.chain.state
    pool.add(harness.transfer(0, 1, 5, 0, fee=2), state)
    with pytest.raises(InvalidTx, match="double-spend"):
        pool.add(harness.transfer(0, 2, 5, 0, fee=2), state)
    replacement = harness.transfer(0, 2, 5, 0, fee=3)
    removed = pool.add(replacement, state)
    assert len(removed) == 1 and list(pool) == [replacement]


def test_nonce_and_funds_checks(harness):
    pool = Mempool(max_nonce_gap=2)
    state = harness.chain.state
    harness.add(harness.block(txs=[harness.transfer(0, 1, 1, 0)]))
    with pytest.raises(InvalidTx, match="nonce-too-low"):
        pool.add(harness.transfer(0, 1, 1, 0), state)
    with pytest.raises(InvalidTx, match="nonce-gap"):
        pool.add(harness.transfer(0, 1, 1, 4), state)
    with pytest.raises(InvalidTx, match="insufficient-funds"):
        pool.add(harness.transfer(2, 1, GENESIS_BALANCE, 0), state)


def test_bounded_pool_evicts_the_cheapest_leaf(harness):
    pool = Mempool(max_size=2)
    state = harness.chain.state
    pool.add(harness.transfer(0, 1, 1, 0, fee=5), state)
    cheap = harness.transfer(1, 0, 1, 0, fee=1)
    pool.add(cheap, state)
    with pytest.raises(InvalidTx, match="mempool-full"):
        pool.add(harness.transfer(2, 0, 1, 0, fee=1), state)
    assert pool.add(harness.transfer(2, 0, 1, 0, fee=2), state) == [cheap]
    assert len(pool) == 2


def test_a_full_pool_always_evicts_the_cheapest_leaf_as_senders_come_and_go(harness):
    """Admissions, replacements, removals and refusals in a random order: each eviction is the
    cheapest last-of-its-sender of the pool as it was, found by looking at every sender."""
    rng = random.Random(7)
    pool = Mempool(max_size=10, max_nonce_gap=7)
    state = harness.chain.state
    evictions = 0
    for _ in range(600):
        if pool.txs and rng.random() < 0.1:
            pool.remove([rng.choice(sorted(pool.txs))])
            continue
        sender, nonce = rng.randrange(4), rng.randrange(8)  # the harness's four funded accounts
        tx = harness.transfer(sender, 0, 1, nonce, fee=rng.randrange(1, 60))
        leaves = [p[max(p)] for p in pool.by_sender.values()]
        cheapest = min(leaves, key=lambda t: (t.fee, t.txid)) if leaves else None
        replacing = nonce in pool.by_sender.get(tx.sender, {})
        full = len(pool) >= pool.max_size and not replacing
        try:
            removed = pool.add(tx, state)
        except InvalidTx:
            continue
        if full:
            assert removed == [cheapest]
            evictions += 1
        assert len(pool) <= pool.max_size
    assert evictions > 20


def test_remove_stale_drops_mined_nonces(harness):
    pool = Mempool()
    tx = harness.transfer(0, 1, 1, 0)
    pool.add(tx, harness.chain.state)
    harness.add(harness.block(txs=[harness.transfer(0, 2, 1, 0, fee=9)]))
    assert pool.remove_stale(harness.chain.state, [tx.sender]) == [tx]
