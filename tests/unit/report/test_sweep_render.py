"""A sweep directory rendered: sweep.json built here from trials simulated here (each point's
share of blocks won by a miner with hashrate h, whose closed-form expectation is h)."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import statistics
from pathlib import Path

import pytest

from chaosnet.report.sweep import SWEEP_FORMAT, load_sweep, sweep_csv
from tests.runs import chaosnet

HASHRATES = (0.1, 0.2, 0.3, 0.4)
TRIALS, BLOCKS = 8, 60


def _trial_share(rng: random.Random, hashrate: float) -> float:
    return sum(rng.random() < hashrate for _ in range(BLOCKS)) / BLOCKS


def _estimate(values: list[float], expected: float) -> dict[str, object]:
    mean = statistics.fmean(values)
    half = 2.365 * statistics.stdev(values) / math.sqrt(len(values))  # t(0.975, 7 d.f.)
    return {
        "mean": mean,
        "ci95": [mean - half, mean + half],
        "n": len(values),
        "expected": expected,
    }


@pytest.fixture
def sweep_dir(tmp_path: Path) -> Path:
    rng = random.Random(3)
    points = []
    for h in HASHRATES:
        shares = [_trial_share(rng, h) for _ in range(TRIALS)]
        points.append(
            {
                "parameters": {"hashrate": h},
                "trials": TRIALS,
                "runs": [f"runs/point-{h}-{k}" for k in range(TRIALS)],
                "metrics": {"attacker_share": _estimate(shares, expected=h)},
            }
        )
    doc = {
        "format": SWEEP_FORMAT,
        "scenario": {"name": "honest-share", "file": "scenarios/honest-share.yaml"},
        "parameters": ["hashrate"],
        "points": points,
        "theory": {"attacker_share": "an honest miner wins its hashrate's share of blocks"},
    }
    (tmp_path / "sweep.json").write_text(json.dumps(doc))
    return tmp_path


def test_text_report_lists_every_point_with_interval_and_expectation(sweep_dir: Path) -> None:
    sweep = load_sweep(sweep_dir)
    proc = chaosnet("report", str(sweep_dir), cwd=sweep_dir)
    assert proc.returncode == 0, proc.stderr
    for point in sweep.points:
        e = point.metrics["attacker_share"]
        assert e.low <= e.mean <= e.high
        assert f"{e.mean:.4g}" in proc.stdout and f"{e.expected:.4g}" in proc.stdout
    assert "an honest miner wins" in proc.stdout


def test_html_report_plots_measured_against_theory(sweep_dir: Path) -> None:
    proc = chaosnet("report", str(sweep_dir), "--format", "html", cwd=sweep_dir)
    assert proc.returncode == 0, proc.stderr
    html = (sweep_dir / "report.html").read_text()
    assert '<figure class="plot" id="plot-attacker_share"><svg' in html.replace("\n", "")
    assert "expected (closed form)" in html and "measured (95 % interval)" in html
    assert html.count("<tr>") == 1 + len(HASHRATES)  # header and one row per point


def test_csv_has_one_row_per_point_and_metric(sweep_dir: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(sweep_csv(load_sweep(sweep_dir)))))
    assert [float(r["hashrate"]) for r in rows] == list(HASHRATES)
    assert {r["metric"] for r in rows} == {"attacker_share"}
    assert all(float(r["ci95_low"]) <= float(r["mean"]) <= float(r["ci95_high"]) for r in rows)


def test_a_malformed_sweep_exits_2_naming_the_problem(sweep_dir: Path) -> None:
    doc = json.loads((sweep_dir / "sweep.json").read_text())
    del doc["points"][1]["metrics"]["attacker_share"]["ci95"]
    (sweep_dir / "sweep.json").write_text(json.dumps(doc))
    proc = chaosnet("report", str(sweep_dir), cwd=sweep_dir)
    assert proc.returncode == 2
    assert "not a chaosnet-sweep/v1 document" in proc.stderr and "ci95" in proc.stderr
    assert "Traceback" not in proc.stderr
