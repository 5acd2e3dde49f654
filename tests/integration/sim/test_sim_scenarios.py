"""`chaosnet run --backend sim` end to end, as a user runs it: the example scenarios pass and
their journals prove each fault happened and had its effect (`tests.runs.run_ok`), two runs of a
seed in separate processes write the same journal byte for byte, and what a simulation cannot
honour is refused at file:line:col."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.runs import SCENARIOS, chaosnet, only_run_dir, run_ok, run_scenario

# a sim run of these scenarios takes 4-12 s here (chaos: 35 s); the bound is a hang guard
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.mark.parametrize(
    "scenario",
    [
        "partition-heal",
        "natural-fork",
        "deep-reorg",
        "fresh-sync",
        "partial-sync",
        "selfish-mining",
        "majority-51",
        "double-spend",
        "byzantine-third",
        "sybil",
        "eclipse",
        "eclipse-undefended",
        "chaos",
    ],
)
def test_scenario_passes_on_sim_with_its_evidence(scenario: str, out: Path) -> None:
    results = run_ok(f"{scenario}.yaml", out, "--backend", "sim")
    assert results["backend"] == "sim"
    assert (only_run_dir(out) / "junit.xml").exists()


def _journal_digest(out: Path, hash_seed: str) -> str:
    out.mkdir()
    proc = subprocess.run(
        [sys.executable, "-c", "from chaosnet.cli import main; main()", "run",
         str(SCENARIOS / "partition-heal.yaml"), "--backend", "sim", "--out", str(out)],
        cwd=out, capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "PYTHONHASHSEED": hash_seed},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return hashlib.sha256((only_run_dir(out) / "events.jsonl").read_bytes()).hexdigest()


def test_two_runs_of_a_seed_write_the_same_journal(tmp_path: Path) -> None:
    first = _journal_digest(tmp_path / "a", "1")
    second = _journal_digest(tmp_path / "b", "2")
    assert first == second


def test_replay_of_a_sim_run_writes_the_same_journal(out: Path, tmp_path: Path) -> None:
    run_ok("crash-restart.yaml", out, "--backend", "sim")
    first = only_run_dir(out)
    again = tmp_path / "again"
    again.mkdir()
    proc = chaosnet("run", "--replay", str(first / "replay.json"), "--backend", "sim",
                    "--out", str(again), cwd=again)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:]
    journal = (only_run_dir(again) / "events.jsonl").read_bytes()
    assert journal == (first / "events.jsonl").read_bytes()


def test_what_sim_cannot_honour_is_refused_where_it_is_written(out: Path) -> None:
    text = (SCENARIOS / "happy-path.yaml").read_text().replace("mining: simulated", "mining: real")
    scenario = out.parent / "grinding.yaml"
    scenario.write_text(text)
    proc = chaosnet("run", str(scenario), "--backend", "sim", cwd=out)
    assert proc.returncode == 2
    assert "grinding.yaml:10:53: mining: real cannot run on --backend sim" in (
        proc.stdout + proc.stderr
    )
    assert not any(out.iterdir())


def test_a_memory_assertion_on_sim_bounds_the_process_per_node_and_can_fail(out: Path) -> None:
    """All nodes share one process: `memory: {max: X}` holds when the process's RSS divided by
    the running nodes stays within X. Four nodes in a Python process of tens of MiB cannot keep
    within 1 MB each."""
    text = (SCENARIOS / "happy-path.yaml").read_text()
    scenario = out.parent / "tiny-memory.yaml"
    scenario.write_text(text + "  - memory: {max: 1MB}\n")
    ran = run_scenario(scenario, out, "--backend", "sim", exit_codes=(1,))
    [memory] = [a for a in ran.results["assertions"] if not a["passed"]]
    assert memory["kind"] == "memory" and memory["measured"] > 1_000_000, memory
    assert "all nodes share one process" in memory["detail"]


def test_keep_is_refused_since_a_simulated_network_ends_with_the_run(out: Path) -> None:
    proc = chaosnet(
        "run", str(SCENARIOS / "happy-path.yaml"), "--backend", "sim", "--keep", cwd=out
    )
    assert proc.returncode == 2 and "--keep has nothing to keep" in proc.stdout + proc.stderr


def test_events_fire_at_the_virtual_instant_they_are_due(out: Path) -> None:
    results = run_ok("crash-restart.yaml", out, "--backend", "sim")
    assert [e["drift_ms"] for e in results["timeline"]] == [0.0] * len(results["timeline"])
