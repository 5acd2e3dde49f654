"""What `chaosnet explore` stands on: random partitions drawn by chaos, the `txs_confirmed`
assertion that notices lost transactions, and the test-only planted bug that loses them."""

from __future__ import annotations

from pathlib import Path

from chaosnet.assertions.evaluate import Evidence, evaluate
from chaosnet.observe.metrics import Metrics
from chaosnet.plan import CutLinks, resolve
from chaosnet.scenario import load_scenario
from chaosnet.scenario.model import After, Assertion, Heal
from reference_node.core.mempool import Mempool
from tests.unit.node.conftest import Harness

SCENARIO = Path(__file__).resolve().parents[3] / "scenarios" / "explore" / "reorg-mempool.yaml"


def test_chaos_partitions_come_one_at_a_time_within_their_bounds() -> None:
    scenario = load_scenario(SCENARIO)
    partitions = 0
    for seed in range(20):
        drawn = resolve(scenario, seed).events
        events = [e for e in drawn if isinstance(e.action, CutLinks | Heal) and e.origin == "chaos"]
        assert [type(e.action) for e in events] == [CutLinks, Heal] * (len(events) // 2)
        times = [e.trigger.delay for e in events if isinstance(e.trigger, After)]
        assert times == sorted(times) and all(0 <= t <= 24 for t in times)
        for cut, heal in zip(times[::2], times[1::2], strict=True):
            assert heal - cut <= 18
        for event in events[::2]:
            assert isinstance(event.action, CutLinks) and len(event.action.pairs) == 2
        partitions += len(events) // 2
    assert partitions >= 20, "a 0.1/s partition rate over 24s draws about two partitions a seed"
    assert resolve(scenario, 3).events == resolve(scenario, 3).events
    assert resolve(scenario, 3).events != resolve(scenario, 4).events


def _confirmed(submitted: int, confirmed: int, share: float) -> tuple[bool, float | None]:
    metrics = Metrics(txs_submitted=submitted, txs_confirmed=confirmed)
    evidence = Evidence(metrics, [], ["n1"], ["n1"], {}, 10.0, {})
    (result,) = evaluate((Assertion("txs_confirmed", "kept", (("min", share),)),), evidence)
    return result.passed, result.measured


def test_txs_confirmed_fails_on_one_lost_transaction_and_on_no_load() -> None:
    assert _confirmed(96, 96, 1.0) == (True, 1.0)
    assert _confirmed(96, 95, 1.0)[0] is False
    assert _confirmed(96, 95, 0.9)[0] is True
    assert _confirmed(0, 0, 0.5) == (False, None), "no load submitted proves nothing"


def _returned_by_reorg(depth: int, planted: bool) -> list[str]:
    """The txids a mempool takes back when a chain whose first block holds a transfer is
    overtaken by a longer one, `depth` blocks deep."""
    harness = Harness()
    genesis = harness.chain.tip
    transfer = harness.transfer(0, 1, 5, 0)
    harness.add(harness.block(txs=[transfer]))
    harness.extend(depth - 1)
    rival = harness.extend(depth, parent=genesis, miner=harness.miner_b)
    longer = harness.block(parent=harness.chain.get(rival[-1].hash), miner=harness.miner_b)
    update = harness.add(longer)
    assert update.reorg_depth() == depth
    mempool = Mempool()
    mempool.loses_deep_reorg_txs = planted
    added, _ = mempool.apply_chain_update(update, harness.chain.state)
    assert transfer.txid not in {t.txid for b in update.connected for t in b.txs}
    return [t.txid for t in added]


def test_the_planted_bug_loses_only_the_txs_of_reorgs_deeper_than_two_blocks() -> None:
    for depth in (1, 2, 3, 4):
        assert len(_returned_by_reorg(depth, planted=False)) == 1, depth
    assert len(_returned_by_reorg(2, planted=True)) == 1
    assert _returned_by_reorg(3, planted=True) == []
    assert _returned_by_reorg(4, planted=True) == []
