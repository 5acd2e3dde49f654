import math

from reference_node.core.mining import BlockTimer, block_delays
from reference_node.core.orphans import OrphanPool


def test_simulated_delays_are_reproducible_per_seed_and_node():
    assert block_delays(7, "n1", 0.5, 2.0, 5) == block_delays(7, "n1", 0.5, 2.0, 5)
    assert block_delays(7, "n1", 0.5, 2.0, 5) != block_delays(7, "n2", 0.5, 2.0, 5)
    assert block_delays(8, "n1", 0.5, 2.0, 5) != block_delays(7, "n1", 0.5, 2.0, 5)


def test_simulated_delay_mean_is_interval_over_hashrate():
    delays = block_delays(1, "n1", 0.25, 2.0, 4000)
    assert 7.0 < sum(delays) / len(delays) < 9.0


def test_zero_hashrate_never_mines():
    assert BlockTimer(1, "n1", 0.0, 2.0).next_delay() == math.inf


def test_orphan_pool_is_bounded_and_releases_children(harness):
    pool = OrphanPool(max_size=2)
    blocks = [harness.block() for _ in range(3)]
    for block in blocks:
        pool.add(block)
    assert len(pool) == 2 and blocks[0].hash not in pool
    parent = blocks[1].header.prev
    assert pool.pop_children(parent) == [b for b in blocks[1:] if b.header.prev == parent]
