"""What the tool itself costs (issue 13): time from `chaosnet run` to every node healthy, and the
CPU the runner process spends per observed node. Medians over repeated runs.

    .venv/bin/python bench/bench_runner.py [--backend local|docker] [--runs 3]

Each run is `chaosnet run scenarios/bench/runner-idle.yaml` (10 honest nodes, no load: what the
runner spends is observation, not sending) as a user starts it, in a subprocess:

  * **to healthy**: from starting the process until its journal records the `timeline` phase,
    which the runner enters once every node answered `/status` and every link carries its
    settings: the moment the scenario can begin (targets: < 5 s local, < 20 s docker);
  * **runner CPU per node**: the runner process's own user + system CPU seconds (not its
    children's: nodes, Toxiproxy) from the `timeline` phase to the `settle` phase, divided by
    that wall time and by the number of nodes, as a percentage of one core (target < 2 %).

Writes bench/results/runner-BACKEND.json and prints the medians with the load average.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
CHAOSNET_BIN = Path(sys.executable).parent / "chaosnet"
SCENARIO = ROOT / "scenarios" / "bench" / "runner-idle.yaml"
NODES = 10
POLL_S = 0.05
RUN_LIMIT_S = 300


def phases_seen(out: Path) -> set[str]:
    """The phases the run's journal has recorded so far (none before its run directory exists)."""
    journals = list(out.glob("*/events.jsonl"))
    if not journals:
        return set()
    seen = set()
    for line in journals[0].read_text(encoding="utf-8").splitlines():
        if '"kind": "phase"' in line:
            with contextlib.suppress(ValueError):  # the line the runner is still writing
                seen.add(json.loads(line)["phase"])
    return seen


def own_cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def measure(backend: str, out: Path) -> dict[str, float]:
    """One run: seconds to healthy, and the runner's CPU % of a core per node while observing."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(CHAOSNET_BIN), "run", str(SCENARIO), "--backend", backend, "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    runner = psutil.Process(proc.pid)
    healthy_s = cpu_at_healthy = healthy_at = None
    try:
        while time.monotonic() - started < RUN_LIMIT_S and proc.poll() is None:
            seen = phases_seen(out)
            if healthy_s is None and "timeline" in seen:
                healthy_at = time.monotonic()
                healthy_s, cpu_at_healthy = healthy_at - started, own_cpu_s(runner)
            if healthy_at is not None and "settle" in seen:
                observed_s = time.monotonic() - healthy_at
                cpu_s = own_cpu_s(runner) - cpu_at_healthy
                return {
                    "to_healthy_s": round(healthy_s, 2),
                    "runner_cpu_pct_per_node": round(100 * cpu_s / observed_s / NODES, 3),
                    "observed_s": round(observed_s, 1),
                }
            time.sleep(POLL_S)
        raise SystemExit(f"the run under {out} never reached its settle phase")
    finally:
        proc.wait(timeout=RUN_LIMIT_S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("local", "docker"), default="local")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench-runner-") as tmp:
        for run in range(args.runs):
            out = Path(tmp) / f"run{run}"
            out.mkdir()
            figures = measure(args.backend, out)
            figures["load_average"] = round(os.getloadavg()[0], 2)
            print(f"run {run + 1}: {figures}", flush=True)
            runs.append(figures)
    medians = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    result = {"backend": args.backend, "nodes": NODES, "median": medians, "all": runs}
    path = ROOT / "bench" / "results" / f"runner-{args.backend}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{args.backend}, {NODES} nodes, median of {args.runs}: healthy in "
        f"{medians['to_healthy_s']} s, runner CPU {medians['runner_cpu_pct_per_node']} % of a "
        f"core per node (load average {medians['load_average']}); written to {path}"
    )


if __name__ == "__main__":
    main()
