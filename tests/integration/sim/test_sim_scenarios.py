"""`chaosnet run --backend sim` end to end, as a user runs it: the example scenarios pass and
their journals prove each fault happened and had its effect (`tests.runs.run_ok`), two runs of a
seed in separate processes write the same journal byte for byte, a memory assertion means the
process's share per node and can fail, and what a simulation cannot honour is refused at
file:line:col. What holds on every backend is checked here, where it is cheap: the run helper
fails a run whose fault never happened, and an assertion that cannot hold exits 1 and is named in
the terminal, junit.xml and `chaosnet report`. Runs are in-process (`tests.inprocess`) unless
the process is the point."""

from __future__ import annotations

import hashlib
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from junitparser import JUnitXml

from tests.inprocess import in_process
from tests.runs import (
    RUN_TIMEOUT_S,
    SCENARIOS,
    Cli,
    FinishedRun,
    Ran,
    chaosnet,
    only_run_dir,
    prove,
    run_ok,
    run_scenario,
)

# a sim run of these scenarios takes 4-12 s here (chaos: 35 s); the bound is a hang guard
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.mark.parametrize(
    "scenario",
    # partition-heal passes in the determinism test, crash-restart in its module fixture and
    # happy-path in the memory test (every assertion but the tiny memory bound holds)
    [
        "slow-node",
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
    results = run_ok(f"{scenario}.yaml", out, "--backend", "sim", cli=in_process)
    assert results["backend"] == "sim"
    assert (only_run_dir(out) / "junit.xml").exists()


def _hash_seeded(seed: str) -> Cli:
    """`chaosnet` in a process of its own, started with PYTHONHASHSEED=`seed`."""

    def cli(*args: str, cwd: Path, timeout: float = RUN_TIMEOUT_S) -> CompletedProcess[str]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("PYTHONHASHSEED", seed)
            return chaosnet(*args, cwd=cwd, timeout=timeout)

    return cli


def test_partition_heal_passes_and_two_runs_of_it_write_the_same_journal(tmp_path: Path) -> None:
    """The two runs are separate processes with different hash seeds."""
    digests = []
    for seed in ("1", "2"):
        out = tmp_path / seed
        out.mkdir()
        ran = run_scenario("partition-heal.yaml", out, "--backend", "sim", cli=_hash_seeded(seed))
        assert ran.results["verdict"] == "pass" and ran.results["backend"] == "sim"
        digests.append(hashlib.sha256((ran.dir / "events.jsonl").read_bytes()).hexdigest())
    assert digests[0] == digests[1]


@pytest.fixture(scope="module")
def crash_restart(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """One passing sim run of crash-restart, for the tests that look at how it went."""
    out = tmp_path_factory.mktemp("crash-restart")
    return run_scenario("crash-restart.yaml", out, "--backend", "sim", cli=in_process)


def test_replay_of_a_sim_run_writes_the_same_journal(crash_restart: Ran, tmp_path: Path) -> None:
    first = crash_restart.dir
    again = tmp_path / "again"
    again.mkdir()
    proc = in_process("run", "--replay", str(first / "replay.json"), "--backend", "sim",
                      "--out", str(again), cwd=again)  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:]
    journal = (only_run_dir(again) / "events.jsonl").read_bytes()
    assert journal == (first / "events.jsonl").read_bytes()


def test_what_sim_cannot_honour_is_refused_where_it_is_written(out: Path) -> None:
    text = (SCENARIOS / "happy-path.yaml").read_text().replace("mining: simulated", "mining: real")
    scenario = out.parent / "grinding.yaml"
    scenario.write_text(text)
    proc = in_process("run", str(scenario), "--backend", "sim", cwd=out)
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
    ran = run_scenario(scenario, out, "--backend", "sim", exit_codes=(1,), cli=in_process)
    [memory] = [a for a in ran.results["assertions"] if not a["passed"]]
    assert memory["kind"] == "memory" and memory["measured"] > 1_000_000, memory
    assert "all nodes share one process" in memory["detail"]


def test_keep_is_refused_since_a_simulated_network_ends_with_the_run(out: Path) -> None:
    proc = in_process(
        "run", str(SCENARIOS / "happy-path.yaml"), "--backend", "sim", "--keep", cwd=out
    )
    assert proc.returncode == 2 and "--keep has nothing to keep" in proc.stdout + proc.stderr


def test_events_fire_at_the_virtual_instant_they_are_due(crash_restart: Ran) -> None:
    timeline = crash_restart.results["timeline"]
    assert timeline and [e["drift_ms"] for e in timeline] == [0.0] * len(timeline)


def test_partition_heal_whose_partition_never_happens_is_not_proved(
    out: Path, tmp_path: Path
) -> None:
    """The same file with the partition swapped for a no-op passes its assertions (converge,
    propagation, tps) all the same; the run helper must be what fails it. The helper reads the
    journal, which every backend writes alike."""
    text = (SCENARIOS / "partition-heal.yaml").read_text()
    assert "partition: halves" in text
    harmless = tmp_path / "partition-heal.yaml"
    harmless.write_text(text.replace("partition: halves", "link: {reset: true}"))
    proc = in_process("run", str(harmless), "--backend", "sim", "--out", str(out), cwd=out)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    proof = prove(FinishedRun.read(only_run_dir(out)))
    print(proof)
    assert proof.gaps == [
        "partition-heal is about a split that heals: no partition split and healed"
    ]


def test_an_assertion_that_cannot_hold_exits_1_and_names_it(out: Path, tmp_path: Path) -> None:
    text = (SCENARIOS / "happy-path.yaml").read_text()
    impossible = tmp_path / "impossible.yaml"
    impossible.write_text(text.rstrip() + "\n  - height: {min: 100000, name: impossible height}\n")
    ran = run_scenario(impossible, out, "--backend", "sim", exit_codes=(1,))
    proc, results = ran.proc, ran.results
    assert "impossible height" in proc.stdout
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
