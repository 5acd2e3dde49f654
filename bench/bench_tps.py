"""Sustained confirmed throughput across 10 nodes (issue 13's 500 TPS target), as a user runs it.

    .venv/bin/python bench/bench_tps.py [--runs 1] [--backend local] [--scenario FILE]

Each run is `chaosnet run scenarios/bench/sustained-500.yaml` in a subprocess: 10 nodes (4
miners, degree 4) over 100 ms Toxiproxy links take 500 signed transfers a second for five
minutes. The figures come from the run's `results.json`, so they are the ones its verdict judged:

  * offered, submitted, late and unsent: what the load generator was asked for and what left it
    (a rate it could not hold shows here, not as "all confirmed");
  * confirmed: submitted transactions in the honest nodes' final chain; the rest are named as
    unconfirmed at the end (in a mempool, or lost), so every submitted transaction is accounted for;
  * confirmed TPS: confirmed ÷ the load window, the figure `tps: {min: 500}` judges;
  * block propagation to 90 % of nodes, p50 and p90, under that load.

Writes bench/results/tps-BACKEND.json with every run and the medians, and prints them with the
load average; each run's directory stays in bench/results/tps-BACKEND-runs/ for its journal. One run takes about six minutes; `BENCH_QUICK=1 make bench` skips it.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_perf import load_average, run_scenario  # noqa: E402

SCENARIO = ROOT / "scenarios" / "bench" / "sustained-500.yaml"
RUN_LIMIT_S = 900


def measure(scenario: Path, backend: str, out: Path) -> dict[str, Any]:
    """One run's throughput figures, read from its results.json."""
    started = time.monotonic()
    results, _ = run_scenario(scenario, out, backend, timeout=RUN_LIMIT_S)
    if results["verdict"] not in ("pass", "fail"):  # a harness error or Ctrl-C measures nothing
        raise SystemExit(f"the run under {out} ended {results['verdict']}: {results['error']}")
    metrics, load = results["metrics"], results["metrics"]["load"]
    propagation = metrics["propagation"] or {}
    return {
        "verdict": results["verdict"],
        "offered": load["offered"],
        "submitted": load["submitted"],
        "late": load["late"],
        "unsent": load["unsent"],
        "rejected": load["rejected"],
        "confirmed": load["confirmed"],
        "unconfirmed_at_end": load["submitted"] - load["confirmed"],
        "confirmed_tps": metrics["tps"],
        "propagation_p50_s": propagation.get("p50"),
        "propagation_p90_s": propagation.get("p90"),
        "reorgs": metrics["reorgs"]["count"],
        "wall_s": round(time.monotonic() - started, 1),
        "load_average": load_average(),
    }


def median_of(runs: list[dict[str, Any]], key: str) -> Any:
    values = [r[key] for r in runs if isinstance(r[key], (int, float))]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("local", "docker"), default="local")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--scenario", type=lambda p: Path(p).resolve(), default=SCENARIO)
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    kept = ROOT / "bench" / "results" / f"tps-{args.backend}-runs"
    shutil.rmtree(kept, ignore_errors=True)
    for run in range(args.runs):
        out = kept / f"run{run}"  # kept: a run that misses is read in its journal and logs
        out.mkdir(parents=True)
        figures = measure(args.scenario, args.backend, out)
        print(f"run {run + 1}: {figures}", flush=True)
        runs.append(figures)
    medians = {key: median_of(runs, key) for key in runs[0] if key != "verdict"}
    result = {
        "scenario": str(args.scenario.relative_to(ROOT)),
        "backend": args.backend,
        "median": medians,
        "all": runs,
    }
    path = ROOT / "bench" / "results" / f"tps-{args.backend}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{args.backend}, median of {args.runs}: offered {medians['offered']}, submitted "
        f"{medians['submitted']}, confirmed {medians['confirmed']} ({medians['confirmed_tps']} "
        f"TPS), propagation p90 {medians['propagation_p90_s']} s (load average "
        f"{medians['load_average']}); written to {path}"
    )


if __name__ == "__main__":
    main()
