"""Simulation speed: simulated seconds per wall-clock second of `--backend sim`.

    .venv/bin/python bench/bench_sim.py [--nodes 10 50 200] [--runs 3] [--duration 60]

Each size runs a scenario of N honest miners on a random graph of degree 4 at one block a second
with 20 transactions a second of load and 20 ms links, through the library (`Runner` on
`SimBackend`), `--runs` times. Prints and writes (bench/results/sim.json) the median speed-up
(virtual run time ÷ wall time, setup and teardown included) and the peak RSS of the process.
Numbers from a shared 2-core machine are indicative; compare runs on one machine only.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path

from chaosnet.backends.sim import SimBackend
from chaosnet.plan import resolve
from chaosnet.runner import Runner, new_run_dir
from chaosnet.scenario import load_scenario_text

RESULTS = Path(__file__).parent / "results" / "sim.json"

SCENARIO = """\
apiVersion: chaosnet/v1
name: bench-sim-{nodes}
seed: 1
duration: {duration}s
nodes:
  count: {nodes}
  topology: {{kind: random, degree: 4}}
chain: {{difficulty: 8, block_interval: 1s, mining: simulated}}
links: {{latency: 20ms}}
load: {{tps: 20, start: 1s}}
assertions:
  - converge: {{within: 10s}}
"""


def one_run(nodes: int, duration: float, out: Path) -> dict[str, float | str]:
    scenario = load_scenario_text(SCENARIO.format(nodes=nodes, duration=int(duration)))
    plan = resolve(scenario, None)
    runner = Runner(plan, SimBackend(), new_run_dir(out, scenario.name))
    started = time.perf_counter()
    result = runner.run()
    wall = time.perf_counter() - started
    simulated = float(result.results["duration_s"])
    return {"verdict": result.verdict, "simulated_s": simulated, "wall_s": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=60.0)
    args = parser.parse_args()
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for nodes in args.nodes:
            runs = [one_run(nodes, args.duration, Path(tmp)) for _ in range(args.runs)]
            speedups = [float(r["simulated_s"]) / float(r["wall_s"]) for r in runs]
            figures[str(nodes)] = {
                "runs": runs,
                "speedup_median": round(statistics.median(speedups), 1),
                "wall_s_median": round(statistics.median(float(r["wall_s"]) for r in runs), 2),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
            print(f"{nodes:4d} nodes: {figures[str(nodes)]['speedup_median']:7.1f}x real time "
                  f"(median of {args.runs}), peak RSS {figures[str(nodes)]['peak_rss_mb']} MB")  # fmt: skip
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    setup = {"block_interval_s": 1, "tps": 20, "duration_s": args.duration, "degree": 4}
    RESULTS.write_text(json.dumps({"setup": setup, "sizes": figures}, indent=2) + "\n")


if __name__ == "__main__":
    main()
