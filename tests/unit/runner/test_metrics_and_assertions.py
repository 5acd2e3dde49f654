"""Measurements from a journal, and assertions that report their measured value and bound."""

from __future__ import annotations

from chaosnet.assertions.evaluate import Evidence, evaluate
from chaosnet.observe.metrics import compute, convergence_after, percentile
from chaosnet.scenario.model import Assertion

HONEST = ["a", "b", "c", "d"]


def seen(node: str, block: str, t: float) -> dict[str, object]:
    return {"kind": "block_seen", "node": node, "hash": block, "height": 1, "seen_t": t, "t": t}


def sample(node: str, t: float, tip: str, height: int = 1) -> dict[str, object]:
    return {"kind": "sample", "node": node, "t": t, "tip": tip, "height": height}


def journal() -> list[dict[str, object]]:
    records: list[dict[str, object]] = [
        *({"kind": "node_state", "node": n, "state": "started", "t": 0.0} for n in HONEST),
        seen("a", "B1", 10.0),
        seen("b", "B1", 10.2),
        seen("c", "B1", 10.5),
        seen("d", "B1", 13.0),
        seen("a", "B2", 20.0),
        seen("b", "B2", 20.1),
        seen("c", "B2", 20.1),
        seen("d", "B2", 20.3),
        seen("a", "X", 21.0),  # a stale block, not on the final chain
        sample("a", 29.0, "T", 9),
        {"kind": "node_state", "node": "d", "state": "crashed", "t": 30.0},
        {"kind": "node_state", "node": "c", "state": "crashed", "t": 31.0},
        {"kind": "node_state", "node": "d", "state": "restarted", "t": 35.0},
        sample("a", 35.5, "T", 9),
        sample("b", 35.5, "T", 9),
        sample("c", 35.5, "T", 9),
        sample("d", 36.0, "old", 3),
        sample("d", 38.5, "T", 9),
        {"kind": "reorg", "node": "b", "depth": 2, "t": 40.0},
        {"kind": "final_state", "converged": True, "running": HONEST, "t": 41.0},
        {
            "kind": "final_chain",
            "tip": "T",
            "height": 2,
            "t": 41.0,
            "blocks": [
                {"hash": "B1", "miner": "m1", "txids": ["t1", "t2"]},
                {"hash": "B2", "miner": "m2", "txids": ["t3"]},
            ],
        },
    ]
    return records


def test_propagation_counts_the_time_to_reach_the_coverage_share() -> None:
    m = compute(journal(), HONEST, HONEST, {"t1", "t2", "t3", "t9"}, (0.0, 10.0), coverage=0.75)
    # B1 reached 3 of 4 nodes after 0.5 s, B2 after 0.1 s; the stale block X is ignored
    assert sorted(m.propagation) == [0.1, 0.5]
    assert m.tps == 0.3 and m.txs_confirmed == 3 and m.txs_submitted == 4
    assert m.reorg_count == 1 and m.reorg_max_depth == 2
    assert m.max_down_fraction == 0.5
    assert m.sync_times["d"] == 3.5  # restarted at 35.0, back at height 9 at 38.5
    assert m.miners == {"m1": 1, "m2": 1}


def test_convergence_waits_for_every_node_to_report_the_same_tip() -> None:
    assert convergence_after(journal(), 35.0, HONEST) == 3.5
    assert convergence_after(journal(), 39.0, HONEST) is None


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 90) is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 90) == 4.0


def evidence() -> Evidence:
    records = journal()
    return Evidence(
        metrics=compute(records, HONEST, HONEST, {"t1"}, (0.0, 10.0)),
        records=records,
        honest=HONEST,
        running_at_end=HONEST,
        event_ends={"restart": 35.0},
        scenario_end=35.0,
        invalid_chains={},
    )


def test_an_assertion_that_cannot_hold_fails_with_its_measured_value() -> None:
    results = evaluate(
        (
            Assertion(
                "converge", "converge after restart", (("within", 2.0), ("after", "restart"))
            ),
            Assertion("converge", "converge generous", (("within", 10.0), ("after", "restart"))),
            Assertion("tps", "tps", (("min", 100.0),)),
            Assertion("max_reorg_depth", "reorgs", (("max", 1),)),
            Assertion("converge", "after a missing event", (("within", 10.0), ("after", "nope"))),
        ),
        evidence(),
    )
    verdicts = {r.name: (r.passed, r.measured) for r in results}
    assert verdicts["converge after restart"] == (False, 3.5)
    assert verdicts["converge generous"] == (True, 3.5)
    assert verdicts["tps"] == (False, 0.1)
    assert verdicts["reorgs"] == (False, 2)
    assert verdicts["after a missing event"][0] is False
    assert results[0].bound == "<= 2s"


def test_blocks_first_seen_during_a_partition_have_no_propagation_figure() -> None:
    records = [
        {"kind": "partition", "state": "start", "t": 15.0},
        {"kind": "partition", "state": "end", "t": 20.5},
        *journal(),
    ]
    m = compute(records, HONEST, HONEST, set(), None, coverage=0.75)
    assert m.propagation == [0.5]  # B2, first seen at 20.0 inside the partition, is left out


def test_nodes_that_are_down_do_not_count_against_propagation() -> None:
    records = [
        *({"kind": "node_state", "node": n, "state": "started", "t": 0.0} for n in HONEST),
        {"kind": "node_state", "node": "d", "state": "crashed", "t": 5.0},
        seen("a", "B3", 10.0),
        seen("b", "B3", 10.1),
        seen("c", "B3", 10.3),
        {"kind": "node_state", "node": "d", "state": "restarted", "t": 20.0},
        seen("d", "B3", 21.0),  # catching up after its restart is sync, not propagation
        {
            "kind": "final_chain",
            "tip": "B3",
            "height": 1,
            "t": 30.0,
            "blocks": [{"hash": "B3", "miner": "m1", "txids": []}],
        },
    ]
    m = compute(records, HONEST, HONEST, set(), None, coverage=0.9)
    assert m.propagation == [0.3]
