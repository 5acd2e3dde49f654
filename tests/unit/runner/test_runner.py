"""The whole runner, phase after phase, on the in-memory backend: verdicts, the journal, results.json.

Each run lasts a fraction of a second of scenario time; the assertions are about order and effect
(what the backend was asked, what the journal says), never about how fast this machine is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from chaosnet.errors import BackendError, HarnessFault, UsageError
from chaosnet.plan import resolve
from chaosnet.runner import Runner, RunResult
from chaosnet.scenario.model import (
    After,
    Assertion,
    At,
    ChainSettings,
    Condition,
    Crash,
    Event,
    Heal,
    Join,
    Load,
    NodeDef,
    Partition,
    PartitionShape,
    Pause,
    Scenario,
    When,
)
from tests.fakes import CHAIN_LENGTH, FakeBackend, journal_of
from tests.runs import RESULTS_SCHEMA

NODES = ("n1", "n2", "n3", "n4")
CONVERGE = Assertion("converge", "converge within 2s", (("within", 2.0),))


def scenario(
    *timeline: Event, assertions: tuple[Assertion, ...] = (CONVERGE,), **kw: Any
) -> Scenario:
    base: dict[str, Any] = {
        "name": "fake",
        "duration": 0.3,
        "nodes": tuple(NodeDef(n, hashrate=0.25) for n in NODES),
        "chain": ChainSettings(difficulty=4, block_interval=1.0),
        "timeline": timeline,
        "assertions": assertions,
    }
    base.update(kw)
    return Scenario(**base)


def run(
    tmp_path: Path, spec: Scenario, backend: FakeBackend | None = None
) -> tuple[RunResult, FakeBackend]:
    backend = backend or FakeBackend()
    runner = Runner(resolve(spec), backend, tmp_path, transport=backend.transport)
    result = runner.run()
    jsonschema.validate(result.results, RESULTS_SCHEMA)
    return result, backend


def kinds(tmp_path: Path, *wanted: str) -> list[dict[str, Any]]:
    return [r for r in journal_of(tmp_path) if r["kind"] in wanted]


def timeline(result: RunResult) -> dict[str, dict[str, Any]]:
    return {e["id"]: e for e in result.results["timeline"]}


def test_a_quiet_network_passes_and_everything_is_torn_down(tmp_path: Path) -> None:
    spec = scenario(
        assertions=(CONVERGE, Assertion("height", "height", (("min", CHAIN_LENGTH),))),
        load=Load(tps=20, accounts=4),
    )
    result, backend = run(tmp_path, spec)
    assert (result.verdict, result.exit_code) == ("pass", 0)
    assert result.results["metrics"]["final_height"] == CHAIN_LENGTH
    assert result.results["metrics"]["load"]["submitted"] > 0
    phases = [r["phase"] for r in kinds(tmp_path, "phase")]
    assert phases == ["setup", "start", "timeline", "settle", "evaluate", "cleanup"]
    assert backend.torn_down and not any(n.running for n in backend.nodes.values())
    assert (tmp_path / "results.json").exists()


def test_an_assertion_that_cannot_hold_fails_with_exit_1(tmp_path: Path) -> None:
    too_high = Assertion("height", "impossible height", (("min", 1000),))
    result, _ = run(tmp_path, scenario(assertions=(CONVERGE, too_high)))
    assert (result.verdict, result.exit_code) == ("fail", 1)
    failed = [a for a in result.results["assertions"] if not a["passed"]]
    assert [(a["name"], a["measured"]) for a in failed] == [("impossible height", CHAIN_LENGTH)]


def test_partition_cuts_both_directions_and_heal_restores_them(tmp_path: Path) -> None:
    spec = scenario(
        Event(At(0.05), Partition(shape=PartitionShape.HALVES), name="split"),
        Event(After("split", 0.1), Heal(), name="heal"),
        assertions=(
            Assertion("converge", "converge after heal", (("after", "heal"), ("within", 2.0))),
        ),
    )
    result, backend = run(tmp_path, spec)
    assert result.verdict == "pass"
    halves = {(a, b) for a in ("n1", "n2") for b in ("n3", "n4")}
    cut = {(c[1], c[2]) for c in backend.calls if c[0] == "set_link_enabled" and not c[3]}
    assert cut == halves | {(b, a) for a, b in halves}
    assert not backend.cut_links()
    assert [r["state"] for r in kinds(tmp_path, "partition")] == ["start", "end"]
    events = timeline(result)
    assert events["split"]["status"] == events["heal"]["status"] == "done"
    assert events["heal"]["actual_s"] >= events["split"]["actual_s"] + 0.1


def test_a_crash_is_followed_by_its_restart(tmp_path: Path) -> None:
    result, backend = run(tmp_path, scenario(Event(At(0.05), Crash("n2", restart_after=0.1))))
    assert result.verdict == "pass"
    lifecycle = [c for c in backend.calls if c[0] in ("kill_node", "start_node") and c[1] == "n2"]
    assert lifecycle == [("start_node", "n2"), ("kill_node", "n2"), ("start_node", "n2")]
    states = [r["state"] for r in kinds(tmp_path, "node_state") if r["node"] == "n2"]
    assert states == ["started", "crashed", "restarted"]
    restart = timeline(result)["#0.restart"]
    assert restart["status"] == "done" and restart["trigger"] is None
    assert result.results["nodes"]["n2"]["running"]


def test_crashing_a_node_already_down_is_skipped_not_an_error(tmp_path: Path) -> None:
    spec = scenario(Event(At(0.05), Crash("n2")), Event(At(0.1), Crash("n2")))
    result, backend = run(tmp_path, spec)
    assert result.verdict == "pass"
    assert [c for c in backend.calls if c[0] == "kill_node"] == [("kill_node", "n2")]
    second = timeline(result)["#1"]
    assert (second["status"], second["detail"]) == ("skipped", "n2 is already down")


def test_a_pause_ends_on_its_own_and_a_condition_that_never_holds_times_out(
    tmp_path: Path,
) -> None:
    spec = scenario(
        Event(At(0.05), Pause("n3", duration=0.05), name="stop"),
        Event(When(Condition(height=CHAIN_LENGTH + 1), timeout=0.1), Join("n5"), name="late"),
        nodes=(*(NodeDef(n, hashrate=0.25) for n in NODES), NodeDef("n5", starts=False)),
    )
    result, backend = run(tmp_path, spec)
    assert result.verdict == "pass", result.results["error"]
    states = [(r["node"], r["state"]) for r in kinds(tmp_path, "node_state")][len(NODES) :]
    assert states == [("n3", "paused"), ("n3", "resumed")]
    late = timeline(result)["late"]
    assert (late["status"], late["actual_s"]) == ("timeout", None)
    assert not backend.nodes["n5"].running


def test_a_harness_fault_mid_timeline_ends_the_run_as_an_error(tmp_path: Path) -> None:
    backend = FakeBackend()
    hung = HarnessFault("Toxiproxy POST /proxies/n1->n4 did not answer within 5s")
    backend.fail(
        "set_link_enabled", hung, when=lambda src, dst, enabled: (src, dst) == ("n1", "n4")
    )
    spec = scenario(
        Event(At(0.05), Partition(shape=PartitionShape.HALVES), name="split"),
        Event(After("split", 0.1), Heal(), name="heal"),
        duration=30.0,  # the fault must end the run long before this
    )
    result, backend = run(tmp_path, spec, backend)
    assert (result.verdict, result.exit_code) == ("error", 2)
    error = result.results["error"]
    assert error.startswith("harness: ") and "did not answer within 5s" in error
    assert "while cutting n1->n4 (event split)" in error
    assert result.results["assertions"] == []  # never a FAIL: nothing was measured under a fault
    assert result.results["duration_s"] < spec.duration
    events = timeline(result)
    assert events["split"]["status"] == "failed" and "n1->n4" in events["split"]["detail"]
    assert (events["heal"]["status"], events["heal"]["detail"]) == (
        "pending",
        "not reached: the run stopped first",
    )
    assert backend.torn_down
    written = json.loads((tmp_path / "results.json").read_text())
    assert (written["verdict"], written["exit_code"], written["error"]) == ("error", 2, error)
    assert [r["status"] for r in kinds(tmp_path, "event")] == ["failed"]
    assert "settle" not in [r["phase"] for r in kinds(tmp_path, "phase")]


def test_a_node_that_cannot_restart_is_a_harness_error_naming_the_event(tmp_path: Path) -> None:
    backend = FakeBackend()
    backend.fail(  # n2 started once; after its crash, its binary cannot start again
        "start_node",
        BackendError("node 'n2' exited with code 1 while starting"),
        when=lambda name: ("kill_node", name) in backend.calls,
    )
    spec = scenario(Event(At(0.05), Crash("n2", restart_after=0.05)), duration=30.0)
    result, backend = run(tmp_path, spec, backend)
    assert (result.verdict, result.exit_code) == ("error", 2)
    assert "while restarting n2 (event #0.restart)" in result.results["error"]
    assert timeline(result)["#0.restart"]["status"] == "failed"
    assert backend.torn_down


def test_a_setup_that_fails_is_an_error_with_partial_results(tmp_path: Path) -> None:
    backend = FakeBackend()
    backend.fail(
        "start_node",
        BackendError("node 'n3' did not answer /health within 30s"),
        when=lambda name: name == "n3",
    )
    result, backend = run(tmp_path, scenario(Event(At(0.05), Heal())), backend)
    assert (result.verdict, result.exit_code) == ("error", 2)
    assert "n3" in result.results["error"] and result.results["error"].startswith("harness: ")
    assert timeline(result)["#0"]["status"] == "pending"
    assert backend.torn_down


def test_a_cpu_quota_is_refused_before_anything_starts_on_a_backend_without_one(
    tmp_path: Path,
) -> None:
    """`chaosnet run` refuses it at file:line:col; a sweep or a library caller reaches here."""
    spec = scenario(Event(At(0.1), Pause("n2", duration=0.1, cpu=0.25), name="throttle"))
    backend = FakeBackend()
    with pytest.raises(
        UsageError, match="cannot give a node a CPU quota \\(timeline event throttle\\)"
    ):
        Runner(resolve(spec), backend, tmp_path, transport=backend.transport).run()
    assert backend.calls == []  # nothing was set up
