"""Simulation speed: simulated seconds per wall-clock second of `--backend sim`.

    .venv/bin/python bench/bench_sim.py [--nodes 10 50 200] [--runs 3] [--duration 60] [--tps 20]
                                        [--large 100 --large-duration 20 --large-runs 1] [--messages]

Each size runs a scenario of N honest miners on a random graph of degree 4 at one block a second
with 20 transactions a second of load (`--tps`; other rates write sim-tpsN.json) and 20 ms links, through the library (`Runner` on
`SimBackend`), `--runs` times. Prints and writes (bench/results/sim.json) the median speed-up
(virtual run time ÷ wall time, setup and teardown included), the same per CPU second of this
process (what a machine shared with others still measures fairly) and the peak RSS of the
process so far (sizes run smallest first, so each figure is that size's peak or an earlier
one's). Sizes of `--large` nodes and more run `--large-duration` simulated seconds, `--large-runs`
times: a 200-node run costs minutes of CPU on a shared machine. `--messages` adds one run per
size that counts the peer messages it sends, by path (`sim_messages.py`).
Numbers from a shared 2-core machine are indicative; compare runs on one machine only.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

from sim_messages import MessageTally

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
    parser.add_argument("--nodes", type=int, nargs="+", default=[10, 50, 200])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--tps", type=float, default=20.0)
    parser.add_argument("--large", type=int, default=100)
    parser.add_argument("--large-duration", type=float, default=20.0)
    parser.add_argument("--large-runs", type=int, default=1)
    parser.add_argument(
        "--messages", action="store_true", help="one more run per size, counting its messages"
    )
    args = parser.parse_args()
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        for nodes in sorted(args.nodes):
            large = nodes >= args.large
            duration = args.large_duration if large else args.duration
            count = args.large_runs if large else args.runs
            runs = [one_run(nodes, duration, args.tps, Path(tmp)) for _ in range(count)]
            speedups = [float(r["simulated_s"]) / float(r["wall_s"]) for r in runs]
            per_cpu = [float(r["simulated_s"]) / float(r["cpu_s"]) for r in runs]
            figures[str(nodes)] = {
                "runs": runs,
                "duration_s": duration,
                "speedup_median": round(statistics.median(speedups), 1),
                "speedup_per_cpu_second_median": round(statistics.median(per_cpu), 1),
                "wall_s_median": round(statistics.median(float(r["wall_s"]) for r in runs), 2),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            }
            size = figures[str(nodes)]
            print(f"{nodes:4d} nodes: {size['speedup_median']:6.1f}x real time, "
                  f"{size['speedup_per_cpu_second_median']:6.1f} simulated s per CPU s "
                  f"(medians of {count}, {duration:g} s runs), "
                  f"peak RSS {size['peak_rss_mb']} MB")  # fmt: skip
            if args.messages:
                with MessageTally() as tally:
                    one_run(nodes, duration, args.tps, Path(tmp))
                size["messages"] = tally.to_json()
                print(f"            {tally.line()}")
    out = RESULTS if args.tps == 20 else RESULTS.with_name(f"sim-tps{args.tps:g}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    setup = {"block_interval_s": 1, "tps": args.tps, "degree": 4, "load_average": os.getloadavg()}
    out.write_text(json.dumps({"setup": setup, "sizes": figures}, indent=2) + "\n")


if __name__ == "__main__":
    main()
