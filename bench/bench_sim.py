"""Simulation speed: simulated seconds per wall-clock second of `--backend sim`.

    .venv/bin/python bench/bench_sim.py [--nodes 10 50 200] [--runs 3] [--duration 60] [--tps 20]

Each size runs a scenario of N honest miners on a random graph of degree 4 at one block a second
with 20 transactions a second of load (`--tps`; other rates write sim-tpsN.json) and 20 ms links, through the library (`Runner` on
`SimBackend`), `--runs` times. Prints and writes (bench/results/sim.json) the median speed-up
(virtual run time ÷ wall time, setup and teardown included), the same per CPU second of this
process (what a machine shared with others still measures fairly) and the peak RSS.
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
load: {{tps: {tps}, start: 1s}}
assertions:
  - converge: {{within: 10s}}
"""


def one_run(nodes: int, duration: float, tps: float, out: Path) -> dict[str, float | str]:
    text = SCENARIO.format(nodes=nodes, duration=int(duration), tps=tps)
    scenario = load_scenario_text(text)
    plan = resolve(scenario, None)
    runner = Runner(plan, SimBackend(), new_run_dir(out, scenario.name))
    started, cpu_started = time.perf_counter(), time.process_time()
    result = runner.run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    simulated = float(result.results["duration_s"])
    return {"verdict": result.verdict, "simulated_s": simulated, "wall_s": wall, "cpu_s": cpu}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--tps", type=float, default=20.0)
    args = parser.parse_args()
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for nodes in args.nodes:
            runs = [one_run(nodes, args.duration, args.tps, Path(tmp)) for _ in range(args.runs)]
            speedups = [float(r["simulated_s"]) / float(r["wall_s"]) for r in runs]
            per_cpu = [float(r["simulated_s"]) / float(r["cpu_s"]) for r in runs]
            figures[str(nodes)] = {
                "runs": runs,
                "speedup_median": round(statistics.median(speedups), 1),
                "speedup_per_cpu_second_median": round(statistics.median(per_cpu), 1),
                "wall_s_median": round(statistics.median(float(r["wall_s"]) for r in runs), 2),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
            size = figures[str(nodes)]
            print(f"{nodes:4d} nodes: {size['speedup_median']:6.1f}x real time, "
                  f"{size['speedup_per_cpu_second_median']:6.1f} simulated s per CPU s "
                  f"(medians of {args.runs}), peak RSS {size['peak_rss_mb']} MB")  # fmt: skip
    out = RESULTS if args.tps == 20 else RESULTS.with_name(f"sim-tps{args.tps:g}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    setup = {"block_interval_s": 1, "tps": args.tps, "duration_s": args.duration, "degree": 4}
    out.write_text(json.dumps({"setup": setup, "sizes": figures}, indent=2) + "\n")


if __name__ == "__main__":
    main()
