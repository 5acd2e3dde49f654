"""`chaosnet sweep`: the grid a user writes, the errors they see, and a sweep directory that
`chaosnet report` reads. Runs use the in-memory backend through the same Runner as `chaosnet run`."""

from __future__ import annotations

import _thread
import dataclasses
import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from chaosnet.errors import UsageError
from chaosnet.plan import resolve
from chaosnet.report.sweep import load_sweep
from chaosnet.runner import Runner
from chaosnet.sweep.execute import SweepExecution, Trial, plan_trials, write_sweep
from chaosnet.sweep.grid import parse_assignment, points
from chaosnet.sweep.measures import estimates
from tests.fakes import FakeBackend
from tests.runs import REPO, chaosnet

SELFISH = REPO / "scenarios" / "selfish-mining.yaml"


def test_a_range_of_shares_is_inclusive_and_kept_as_written() -> None:
    axis = parse_assignment("attackers.selfish.hashrate=10%..25%/5%")
    assert [v.written for v in axis.values] == ["10%", "15%", "20%", "25%"]
    assert [v.number for v in axis.values] == [0.1, 0.15, 0.2, 0.25]
    assert [v.written for v in parse_assignment("links.latency=20ms,50ms").values] == [
        "20ms",
        "50ms",
    ]


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("attackers.selfish.hashrate", "write PATH=VALUES"),
        ("attackers.selfish.hashrate=10%..20s/5%", "one unit throughout"),
        ("attackers.selfish.hashrate=40%..10%/5%", "a range goes up"),
    ],
)
def test_a_malformed_assignment_says_how_to_write_it(assignment: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse_assignment(assignment)


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("attackers.selfsh.hashrate=10%", "no item named 'selfsh' (names: selfish"),
        (
            "attackers.selfish.hashrat=10%",
            "no field 'hashrat' under attackers.selfish (did you mean 'hashrate'?)",
        ),
        ("chain.block_interval=fast", "chain.block_interval=fast, the scenario is invalid"),
        ("attackers.selfish.hashrate=150%", "attackers[0].hashrate"),
    ],
)
def test_a_wrong_path_or_value_is_refused_before_anything_runs(
    assignment: str, message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        points(SELFISH, [parse_assignment(assignment)])
    assert message in str(caught.value)


def test_the_grid_is_every_combination_with_the_values_applied() -> None:
    axes = [
        parse_assignment("attackers.selfish.hashrate=20%,30%"),
        parse_assignment("links.latency=10ms,50ms"),
    ]
    grid = points(SELFISH, axes)
    assert [p.parameters for p in grid][1] == {
        "attackers.selfish.hashrate": 0.2,
        "links.latency": 0.05,
    }
    assert [p.scenario.node("selfish").hashrate for p in grid] == [0.2, 0.2, 0.3, 0.3]


def in_memory(trial: Trial) -> dict[str, Any]:
    backend = FakeBackend()
    scenario = dataclasses.replace(trial.point.scenario, duration=0.3)
    trial.run_dir.mkdir(parents=True)
    runner = Runner(
        resolve(scenario, trial.seed), backend, trial.run_dir, transport=backend.transport
    )
    return runner.run().results


def test_a_sweep_directory_holds_each_point_with_its_interval_and_theory(tmp_path: Path) -> None:
    axes = [parse_assignment("attackers.selfish.hashrate=20%,30%")]
    trials = plan_trials(points(SELFISH, axes), 2, tmp_path)
    finished = SweepExecution(trials, in_memory, jobs=2).execute()
    write_sweep(tmp_path, SELFISH, axes, finished)
    sweep = load_sweep(tmp_path)  # the reader behind `chaosnet report SWEEP_DIR`
    assert [p.trials for p in sweep.points] == [2, 2]
    share = sweep.points[1].metrics["attacker_share"]
    assert (share.mean, share.n) == (0.0, 2)  # the fake chain is all n1's
    assert share.expected == pytest.approx(0.2731, abs=1e-4)  # Eyal-Sirer at 30 %, gamma 0
    assert "Eyal and Sirer" in sweep.theory["attacker_share"]
    assert (tmp_path / "sweep.csv").read_text().startswith("attackers.selfish.hashrate,metric,")
    runs = json.loads((tmp_path / "sweep.json").read_text())["points"][0]["runs"]
    assert all((tmp_path / r / "results.json").is_file() for r in runs)


def test_ctrl_c_keeps_the_runs_that_finished(tmp_path: Path) -> None:
    axes = [parse_assignment("attackers.selfish.hashrate=20%,25%,30%")]
    trials = plan_trials(points(SELFISH, axes), 1, tmp_path)
    first_done = threading.Event()

    def slow_after_the_first(trial: Trial) -> dict[str, Any]:
        if first_done.is_set():
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # a long run, until Ctrl-C interrupts it
                time.sleep(0.01)
        results = in_memory(trial)
        first_done.set()
        return results

    execution = SweepExecution(trials, slow_after_the_first, jobs=1)
    timer = threading.Timer(1.5, _thread.interrupt_main)
    timer.start()
    finished = execution.execute()
    assert execution.interrupted and len(finished) == 1
    write_sweep(tmp_path, SELFISH, axes, finished)
    assert len(load_sweep(tmp_path).points) == 1


def test_the_command_refuses_an_unknown_backend_and_a_bad_path(tmp_path: Path) -> None:
    bad_backend = chaosnet(
        "sweep", str(SELFISH), "--set", "duration=10s", "--backend", "nope", cwd=tmp_path
    )
    assert bad_backend.returncode == 2 and "unknown backend 'nope'" in bad_backend.stderr
    bad_path = chaosnet("sweep", str(SELFISH), "--set", "chian.difficulty=4", cwd=tmp_path)
    assert bad_path.returncode == 2 and "did you mean 'chain'" in bad_path.stderr


def test_a_share_interval_stays_within_what_a_share_can_be() -> None:
    (point,) = points(SELFISH, [parse_assignment("attackers.selfish.hashrate=40%")])
    runs = [{"attacker_share": 0.05, "gamma": 0.0}, {"attacker_share": 0.7, "gamma": 0.0}]
    share = estimates(point.scenario, runs)["attacker_share"]
    assert (share.low, share.high, share.n) == (0.0, 1.0, 2)
    assert share.mean == pytest.approx(0.375)
    assert share.expected == pytest.approx(0.4837, abs=1e-4)  # Eyal-Sirer at 40 %, gamma 0


def test_a_short_run_is_compared_with_the_selfish_chain_over_its_own_length() -> None:
    sweep = REPO / "scenarios" / "sweep" / "selfish-revenue.yaml"
    (point,) = points(sweep, [parse_assignment("attackers.selfish.hashrate=45%")])
    share = estimates(point.scenario, [{"attacker_share": 0.5, "gamma": 0.0}])["attacker_share"]
    assert share.expected == pytest.approx(0.5386, abs=1e-4)  # 20 blocks; eq. 8 says 0.652


def test_a_double_spend_rate_pools_the_payments_of_all_runs() -> None:
    """One run confirmed 1 payment and lost it, another confirmed 9 and kept all: the attacker won
    1 of 10, not the 50 % that averaging the two runs' rates would say."""
    (point,) = points(REPO / "scenarios" / "double-spend.yaml", [])
    runs = [
        {"double_spend_success": 1.0, "double_spend_succeeded": 1, "double_spend_confirmed": 1},
        {"double_spend_success": 0.0, "double_spend_succeeded": 0, "double_spend_confirmed": 9},
        {"double_spend_succeeded": 0, "double_spend_confirmed": 0},  # nothing confirmed
    ]
    rate = estimates(point.scenario, runs)["double_spend_success"]
    assert (rate.mean, rate.n) == (0.1, 10)
    assert (round(rate.low, 3), round(rate.high, 3)) == (0.018, 0.404)  # Wilson, 1 of 10
    assert rate.expected == pytest.approx(0.832, abs=1e-3)  # Rosenfeld, q = 0.45, z = 2
