"""The medians behind every time bound in the tests (rule: a bound is at least 10x its median).

    .venv/bin/python bench/bench_test_timings.py [--repeat 9] [RUN_DIR ...]

Measures the scenario loader on hostile input (tests/unit/scenario/test_scenario_safety.py),
`chaosnet doctor` and `chaosnet validate` as subprocesses (tests/unit/test_cli_doctor.py,
test_scenario_cli.py), and, from finished run directories given on the command line, each run's
wall time and timeline drift (tests/integration/run). Prints medians, writes
bench/results/test-timings.json; bench/test-timings.md keeps the figures the bounds were set from.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from chaosnet.errors import ScenarioError  # noqa: E402
from chaosnet.scenario import load_scenario_text  # noqa: E402
from tests.unit.scenario.test_scenario_safety import CASES  # noqa: E402

RESULTS = REPO / "bench" / "results" / "test-timings.json"
SCENARIO_FILES = [str(p) for p in sorted((REPO / "scenarios").glob("*.yaml"))]
CHAOSNET = [sys.executable, "-c", "from chaosnet.cli import main; main()"]


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def hostile_input(content: str | bytes) -> None:
    with contextlib.suppress(ScenarioError):
        load_scenario_text(content, "x.yaml")


def cli(*args: str) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    subprocess.run([*CHAOSNET, *args], capture_output=True, env=env, timeout=600, check=False)


def from_runs(run_dirs: list[Path]) -> dict[str, float]:
    walls, drifts = [], []
    for run_dir in run_dirs:
        results = json.loads((run_dir / "results.json").read_text())
        walls.append(float(results["duration_s"]))
        drifts += [float(e["drift_ms"]) for e in results["timeline"] if e["drift_ms"] is not None]
    return {
        "runs": len(run_dirs),
        "duration_s_median": statistics.median(walls),
        "drift_ms_median": statistics.median(drifts),
        "drift_ms_max": max(drifts),
    }


def publish(figures: dict[str, object], path: Path) -> None:
    """Print the figures and keep them in `path` (bench/results/, JSON)."""
    print(json.dumps(figures, indent=2))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("runs", nargs="*", type=Path, help="finished run directories")
    args = parser.parse_args()
    figures: dict[str, object] = {
        "loader_hostile_input_s": {
            name: round(median_seconds(lambda c=content: hostile_input(c), args.repeat), 4)
            for name, (content, _) in sorted(CASES.items())
        },
        "doctor_s": round(median_seconds(lambda: cli("doctor"), min(args.repeat, 5)), 2),
        "validate_s": round(
            median_seconds(lambda: cli("validate", *SCENARIO_FILES), min(args.repeat, 5)), 2
        ),
        "load_average": os.getloadavg(),
    }
    if args.runs:
        figures["scenario_runs"] = from_runs(args.runs)
    publish(figures, RESULTS)


if __name__ == "__main__":
    main()
