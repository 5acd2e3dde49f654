"""The run helper's evidence checks fail when a fault left no trace, not only pass when it did.

Small hand-written journals in the format `chaosnet run` writes (`sample`, `block_seen`,
`partition`, `node_state`, `reorg` records), so each way a fault can go missing is shown in
milliseconds; tests/integration/run shows the same on a real run with its partition switched off.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chaosnet.scenario import load_scenario
from tests.runs import SCENARIOS, FinishedRun, Record, prove

NODES = ["n1", "n2", "n3", "n4", "n5", "n6"]


def finished(name: str, journal: list[Record], **metrics: Any) -> FinishedRun:
    """A run of scenarios/NAME.yaml that journalled `journal` and fired its events on time."""
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    timeline = [
        {"id": r["id"], "action": r["action"], "status": r["status"], "actual_s": r["actual"]}
        for r in journal
        if r["kind"] == "event"
    ]
    nodes = {n.name: {"role": n.role.value} for n in scenario.nodes}
    results = {
        "timeline": timeline,
        "nodes": nodes,
        "metrics": {"sync_times": {}, **metrics},
        "duration_s": scenario.duration,
    }
    return FinishedRun(Path(name), results, sorted(journal, key=lambda r: r["t"]), scenario)


def samples(tips: Any, nodes: list[str], until: float = 60.0) -> list[Record]:
    """A sample of each node every half second; `tips(t, node)` gives (height, tip)."""
    out = []
    for step in range(int(until * 2)):
        t = step / 2
        for node in nodes:
            height, tip = tips(t, node)
            out.append({"t": t, "kind": "sample", "node": node, "height": height, "tip": tip})
    return out


def event(t: float, event_id: str, action: str, status: str = "done") -> Record:
    return {
        "t": t,
        "kind": "event",
        "id": event_id,
        "action": action,
        "status": status,
        "actual": t,
    }


def partition_heal(tips: Any) -> list[Record]:
    return [
        {"t": 10.0, "kind": "partition", "state": "start", "label": "halves"},
        event(10.0, "split", "partition halves (9 links cut)"),
        {"t": 35.0, "kind": "partition", "state": "end"},
        event(35.0, "heal", "heal all partitions"),
        event(37.0, "settled", "wait"),
        *samples(tips, NODES),
    ]


def halves_apart(t: float, node: str) -> tuple[int, str]:
    if 15 <= t < 35:
        return 5, "west" if node in ("n1", "n2", "n3") else "east"
    return (3, "genesis-ish") if t < 15 else (9, "agreed")


def test_a_partition_that_split_the_nodes_and_healed_is_proved() -> None:
    proof = prove(finished("partition-heal", partition_heal(halves_apart)))
    assert proof.gaps == []
    assert proof.healed_splits == 1


def test_a_partition_journalled_but_never_splitting_the_nodes_is_a_gap() -> None:
    """What a backend that cut nothing would leave: the records, and every node on one tip."""
    proof = prove(finished("partition-heal", partition_heal(lambda t, n: (int(t), f"tip{int(t)}"))))
    assert any("honest nodes were on two or more tips for at most 0.0s" in g for g in proof.gaps)
    assert any("partition-heal is about a split that heals" in g for g in proof.gaps)


def test_partition_heal_with_its_partition_replaced_by_a_harmless_event_fails() -> None:
    journal = [r for r in partition_heal(halves_apart) if r["kind"] != "partition"]
    proof = prove(finished("partition-heal", journal))
    assert proof.gaps == [
        "partition-heal is about a split that heals: no partition split and healed"
    ]


def test_a_split_that_never_heals_into_one_tip_is_a_gap() -> None:
    def apart_for_good(t: float, node: str) -> tuple[int, str]:
        return halves_apart(min(t, 30.0), node)

    proof = prove(finished("partition-heal", partition_heal(apart_for_good)))
    assert "after the heal at 35.0s honest nodes never shared a tip" in proof.gaps


def test_a_timeline_event_not_done_is_a_gap() -> None:
    journal = partition_heal(halves_apart)
    journal[4] = event(37.0, "settled", "wait", status="timeout")
    proof = prove(finished("partition-heal", journal))
    assert proof.gaps == ["timeline event settled (wait) is timeout"]


def crash_restart(n2_sightings: list[float], n2_height_after: int) -> list[Record]:
    """n2 crashed at 10s and restarted at 15s while the others went from height 10 to 15."""

    def heights(t: float, node: str) -> tuple[int, str]:
        if node == "n2" and t >= 15:
            return n2_height_after, f"tip{n2_height_after}"
        return int(t), f"tip{int(t)}"

    journal = [
        {"t": 10.0, "kind": "node_state", "node": "n2", "state": "crashed"},
        event(10.0, "#0", "crash n2, restart after 5s"),
        {"t": 15.0, "kind": "node_state", "node": "n2", "state": "restarted"},
        event(15.0, "#0.restart", "restart node=n2"),
    ]
    journal += [
        r
        for r in samples(heights, ["n1", "n2", "n3", "n4"], until=25)
        if not (r["node"] == "n2" and 10 <= r["t"] < 15)
    ]
    journal += [
        {"t": t, "kind": "block_seen", "node": "n2", "hash": f"h{t}", "seen_t": t, "source": "peer"}
        for t in n2_sightings
    ]
    return journal


def test_a_crashed_node_that_kept_seeing_blocks_was_not_down() -> None:
    proof = prove(finished("partial-sync", crash_restart([11.0, 12.0], 20), sync_times={"n2": 0.5}))
    assert "n2 was reported down at 10.0s but saw blocks at 11.0s, 12.0s" in proof.gaps


def test_a_restarted_node_that_never_caught_up_is_a_gap() -> None:
    proof = prove(finished("partial-sync", crash_restart([], 12), sync_times={"n2": None}))
    assert "n2 restarted at 15.0s and never caught up" in proof.gaps


def test_a_restarted_node_without_a_recorded_sync_time_is_a_gap() -> None:
    proof = prove(finished("partial-sync", crash_restart([], 20), sync_times={}))
    assert "n2 restarted but results.json has no sync time for it" in proof.gaps


def test_a_restarted_node_that_caught_up_is_proved() -> None:
    proof = prove(finished("partial-sync", crash_restart([16.0], 20), sync_times={"n2": 0.5}))
    assert "n2 restarted at 15.0s, caught up in 0.0s" in proof.facts
    assert "n2" in proof.synced


def slow_n4(lag: float, lag_after: float = 0.03) -> list[Record]:
    """Blocks every 2 s from n1; n4 sees each `lag` seconds after the others while slow (10-30 s)
    and `lag_after` seconds after once the slow spell is over."""
    journal = [event(10.0, "slow", "slow n4"), event(30.0, "slow.resume", "resume node=n4")]
    for i in range(25):
        first = 1.0 + 2 * i
        for node in ("n1", "n2", "n3", "n4"):
            late = lag if 10 <= first <= 30 else (lag_after if first > 30 else 0.03)
            late = late if node == "n4" else 0.03
            seen = first if node == "n1" else first + late
            source = "mined" if node == "n1" else "peer"
            journal.append(
                {"t": seen, "kind": "block_seen", "node": node, "hash": f"b{i}", "seen_t": seen}
                | {"source": source}
            )
    return journal


def test_a_slow_node_whose_blocks_arrive_on_time_was_not_slowed() -> None:
    proof = prove(finished("slow-node", slow_n4(lag=0.03)))
    assert any("less than half the 0.8s latency" in g for g in proof.gaps)
    assert "slow-node is about a slow node: n4 was not slowed" in proof.gaps


def test_a_slow_node_that_stays_slow_after_its_spell_is_a_gap() -> None:
    proof = prove(finished("slow-node", slow_n4(lag=0.85, lag_after=0.85)))
    assert any("n4 still slow after its slow spell ended at 30.0s" in g for g in proof.gaps)


def test_a_slow_node_whose_blocks_arrive_late_is_proved() -> None:
    proof = prove(finished("slow-node", slow_n4(lag=0.85)))
    assert proof.gaps == []
    assert proof.slowed == {"n4"}


def test_a_deep_reorg_scenario_whose_reorgs_stay_shallow_fails() -> None:
    reorg = {"t": 36.0, "kind": "reorg", "node": "small1", "depth": 2}
    proof = prove(finished("deep-reorg", [reorg]))
    assert "deep-reorg is about reorgs of depth >= 5; the deepest was 2" in proof.gaps


def test_reorgs_of_nodes_outside_the_honest_set_do_not_count() -> None:
    proof = prove(finished("natural-fork", [{"t": 5.0, "kind": "reorg", "node": "x", "depth": 3}]))
    assert proof.gaps == ["natural-fork is about reorgs of depth >= 1; the deepest was 0"]
