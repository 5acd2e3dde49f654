"""`chaosnet run --backend local` end to end: real node processes behind a real toxiproxy-server."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from junitparser import JUnitXml

from tests.runs import (
    SCENARIOS,
    chaosnet,
    only_run_dir,
    processes_started_for,
    results_of,
    run_ok,
    wait_for_phase,
)

pytestmark = pytest.mark.slow


def test_partition_heal_converges_after_the_heal(out: Path) -> None:
    results = run_ok("partition-heal.yaml", out)
    heal = [e for e in results["timeline"] if "heal" in e["action"]]
    assert heal and heal[0]["status"] == "done" and heal[0]["actual_s"] is not None
    converge = [a for a in results["assertions"] if a["kind"] == "converge"]
    assert converge and all(a["passed"] and a["measured"] is not None for a in converge)
    # the timeline kept time: every absolute event fired within a few tens of ms of its plan
    drifts = [abs(e["drift_ms"]) for e in results["timeline"] if e["drift_ms"] is not None]
    assert drifts and max(drifts) < 100, drifts
    run_dir = only_run_dir(out)
    assert (run_dir / "events.jsonl").stat().st_size > 0
    assert (run_dir / "replay.json").exists()
    assert not processes_started_for(run_dir)


def test_an_assertion_that_cannot_hold_exits_1_and_names_it(out: Path, tmp_path: Path) -> None:
    text = (SCENARIOS / "happy-path.yaml").read_text()
    impossible = tmp_path / "impossible.yaml"
    impossible.write_text(text.rstrip() + "\n  - height: {min: 100000, name: impossible height}\n")
    proc = chaosnet("run", str(impossible), "--out", str(out), cwd=out)
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "impossible height" in proc.stdout
    results = results_of(only_run_dir(out))
    failed = [a for a in results["assertions"] if not a["passed"]]
    assert [a["name"] for a in failed] == ["impossible height"]
    assert isinstance(failed[0]["measured"], int) and failed[0]["measured"] < 100000
    assert str(failed[0]["measured"]) in proc.stdout
    # CI systems read the same verdict from junit.xml, and `chaosnet report` shows it again
    run_dir = only_run_dir(out)
    suite = next(iter(JUnitXml.fromfile(str(run_dir / "junit.xml"))))
    failures = [case.name for case in suite if not case.is_passed]
    assert failures == ["impossible height"]
    again = chaosnet("report", str(run_dir), "--format", "junit", cwd=out)
    assert again.returncode == 1
    assert "impossible height" in again.stdout


def applied_schedule(results: dict[str, object]) -> tuple[object, list[tuple[str, str, object]]]:
    """The faults a run applied: ids, actions and when each was planned to fire."""
    timeline = results["timeline"]
    assert isinstance(timeline, list)
    applied = [(e["id"], e["action"], e["trigger"]) for e in timeline if e["status"] == "done"]
    return results["schedule_digest"], applied


def test_same_seed_and_replay_apply_the_same_fault_schedule(out: Path) -> None:
    """A chaos run with --seed, then `--replay` of its replay.json: the same faults, same times."""
    first, second = out / "first", out / "second"
    first.mkdir()
    second.mkdir()
    proc = chaosnet(
        "run", str(SCENARIOS / "chaos.yaml"), "--seed", "11", "--out", str(first), cwd=out
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    replay = only_run_dir(first) / "replay.json"
    proc = chaosnet("run", "--replay", str(replay), "--out", str(second), cwd=out)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    one = applied_schedule(results_of(only_run_dir(first)))
    two = applied_schedule(results_of(only_run_dir(second)))
    assert one == two
    assert any("crash" in action for _, action, _ in one[1])


def test_dry_run_prints_the_resolved_schedule_and_starts_nothing(out: Path) -> None:
    dry = chaosnet("run", str(SCENARIOS / "chaos.yaml"), "--seed", "5", "--dry-run", cwd=out)
    assert dry.returncode == 0, dry.stderr
    assert "crash" in dry.stdout
    again = chaosnet("run", str(SCENARIOS / "chaos.yaml"), "--seed", "5", "--dry-run", cwd=out)
    assert again.stdout == dry.stdout
    assert not list(out.iterdir()), "a dry run starts nothing and writes no run directory"


def test_ctrl_c_stops_everything_and_the_next_run_passes(out: Path) -> None:
    first = out / "interrupted"
    first.mkdir()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from chaosnet.cli import main; main()",
            "run",
            str(SCENARIOS / "partition-heal.yaml"),
            "--out",
            str(first),
        ],
        cwd=out,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    run_dir = wait_for_phase(first, "timeline", timeout=60)
    time.sleep(2)
    proc.send_signal(2)  # SIGINT, as Ctrl-C does
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stdout[-2000:] + stderr[-2000:]
    assert results_of(run_dir)["verdict"] == "interrupted"
    assert not processes_started_for(run_dir)
    second = out / "again"
    second.mkdir()
    run_ok("happy-path.yaml", second)


@pytest.mark.parametrize(
    "scenario",
    [
        "happy-path.yaml",
        "fresh-sync.yaml",
        "partial-sync.yaml",
        "natural-fork.yaml",
        "deep-reorg.yaml",
        "slow-node.yaml",
        "crash-restart.yaml",
        "chaos.yaml",
        "stress.yaml",
    ],
)
def test_seed_scenario_passes_on_the_local_backend(scenario: str, out: Path) -> None:
    run_ok(scenario, out)
