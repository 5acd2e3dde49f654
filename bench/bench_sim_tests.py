"""How long tests/integration/sim takes (issue 10: "the sim tests add under 3 minutes to CI").

    .venv/bin/python bench/bench_sim_tests.py [--repeat 3]
    .venv/bin/python bench/bench_sim_tests.py --parse OUTPUT...   # saved `pytest --durations=0`

Runs the directory `--repeat` times (or reads saved outputs), and prints the median wall time of
the whole directory, its CPU seconds (the pytest process and its children), the load average
around each run, and each test's median (setup + call + teardown). Writes
bench/results/sim-test-timings.json; bench/test-timings.md keeps the figures.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.bench_test_timings import publish  # noqa: E402

RESULTS = REPO / "bench" / "results" / "sim-test-timings.json"
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=0"]
DURATION = re.compile(r"^\s*([\d.]+)s (setup|call|teardown)\s+(\S+)$", re.MULTILINE)
TOTAL = re.compile(r"TOTAL ([\d.]+) wall ([\d.]+) user ([\d.]+) sys")
PASSED = re.compile(r"(\d+) passed in ([\d.]+)s")


def run_once() -> dict[str, object]:
    load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(
        [*PYTEST, "tests/integration/sim"], cwd=REPO, capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        **parse(proc.stdout),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "load": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "exit": proc.returncode,
    }


def parse(output: str) -> dict[str, object]:
    tests: dict[str, float] = defaultdict(float)
    for seconds, _, test in DURATION.findall(output):
        tests[test] += float(seconds)
    figures: dict[str, object] = {"tests": dict(tests)}
    if passed := PASSED.search(output):
        figures["passed"], figures["wall_s"] = int(passed[1]), float(passed[2])
    if total := TOTAL.search(output):
        figures["cpu_s"] = round(float(total[2]) + float(total[3]), 1)
    return figures


def summary(runs: list[dict[str, object]]) -> dict[str, object]:
    def median_of(key: str) -> float | None:
        values = [float(r[key]) for r in runs if key in r]  # type: ignore[arg-type]
        return round(statistics.median(values), 1) if values else None

    per_test: dict[str, list[float]] = defaultdict(list)
    for r in runs:
        for test, seconds in r["tests"].items():  # type: ignore[attr-defined]
            per_test[test].append(seconds)
    medians = {t: round(statistics.median(s), 2) for t, s in per_test.items()}
    return {
        "n": len(runs),
        "wall_s_median": median_of("wall_s"),
        "cpu_s_median": median_of("cpu_s"),
        "runs": [{k: v for k, v in r.items() if k != "tests"} for r in runs],
        "tests_median_s": dict(sorted(medians.items(), key=lambda kv: -kv[1])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parse", nargs="+", type=Path, help="saved pytest outputs instead")
    args = parser.parse_args()
    if args.parse:
        runs = [parse(path.read_text()) for path in args.parse]
    else:
        runs = [run_once() for _ in range(args.repeat)]
    publish(summary(runs), RESULTS)


if __name__ == "__main__":
    main()
