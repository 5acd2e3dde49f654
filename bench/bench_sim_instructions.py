"""Simulation cost in instructions: a figure that does not move with the machine's other load.

    .venv/bin/python bench/bench_sim_instructions.py [--nodes 10] [--tps 20] [--durations 10 30]
                                                     [--tree DIR ...]

Runs `bench_sim.py`'s scenario (N honest miners, one block a second, `--tps` of load) under
valgrind's callgrind, which counts the instructions the process executes: the same count, to a
few parts in a million, for the same code, inputs and hash seed (PYTHONHASHSEED=0), however busy
the machine is. Two durations separate the fixed cost (interpreter start, imports, setting up the
nodes, settling) from the cost per simulated second, the slope, which is what the simulation's
speed depends on. Each `--tree` (a checkout, e.g. an older commit from `git worktree add`) runs
with its own code on PYTHONPATH, so one call compares them; runs go in parallel, one per core.
Prints and writes bench/results/sim-instructions.json. A run takes about 25 times as long as
without callgrind: about two minutes for 30 simulated seconds of 10 nodes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "sim-instructions.json"
COLLECTED = re.compile(rb"Collected : (\d+)")
ONE_RUN = """\
import json, sys, tempfile
from pathlib import Path
sys.path.insert(0, "bench")
from bench_sim import one_run
with tempfile.TemporaryDirectory() as tmp:
    print(json.dumps(one_run(int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), Path(tmp))))
"""


def count(tree: Path, nodes: int, duration: float, tps: float) -> tuple[int, str]:
    """Instructions of one run of the bench scenario with `tree`'s code, and its verdict."""
    command = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        sys.executable, "-c", ONE_RUN, str(nodes), str(duration), str(tps),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(tree)}
    done = subprocess.run(command, cwd=tree, env=env, capture_output=True, timeout=3600)
    found = COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        tail = done.stderr.decode("utf-8", "replace")[-2000:]
        raise SystemExit(f"{tree}: run of {duration:g} s failed (exit {done.returncode}):\n{tail}")
    run = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return int(found.group(1)), str(run["verdict"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=10)
    parser.add_argument("--tps", type=float, default=20.0)
    parser.add_argument("--durations", type=float, nargs=2, default=[10.0, 30.0])
    parser.add_argument("--tree", type=Path, nargs="+", default=[ROOT])
    args = parser.parse_args()
    short, long = sorted(args.durations)
    if short == long:
        parser.error("--durations needs two different durations")
    trees = [tree.resolve() for tree in args.tree]
    jobs = [(tree, duration) for tree in trees for duration in (short, long)]
    print(f"{len(jobs)} runs under callgrind, {os.cpu_count()} at a time …", flush=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count()) as pool:
        counted = list(pool.map(lambda job: count(job[0], args.nodes, job[1], args.tps), jobs))
    runs = dict(zip(jobs, counted, strict=True))
    figures = {}
    for tree in trees:
        (low, low_verdict), (high, high_verdict) = runs[(tree, short)], runs[(tree, long)]
        slope = (high - low) / (long - short)
        fixed = low - slope * short
        verdicts = sorted({low_verdict, high_verdict})
        figures[str(tree)] = {
            "instructions": {f"{short:g}s": low, f"{long:g}s": high},
            "verdicts": verdicts,
            "per_simulated_second": round(slope),
            "fixed": round(fixed),
        }
        print(f"{tree}: {slope / 1e6:8.1f} M instructions per simulated second, "
              f"{fixed / 1e9:5.2f} G fixed ({'/'.join(verdicts)})")  # fmt: skip
    setup = {"nodes": args.nodes, "tps": args.tps, "durations_s": [short, long]}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"setup": setup, "trees": figures}, indent=2) + "\n")


if __name__ == "__main__":
    main()
