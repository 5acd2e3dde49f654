"""Every shipped scenario on `--backend sim`: how much faster than real time each one runs.

    .venv/bin/python bench/bench_sim_scenarios.py [--runs 3] [--messages] [scenarios/happy-path.yaml …]

Runs each scenario of scenarios/*.yaml that the simulation accepts (the checks `chaosnet run
--backend sim` makes first), through the library as `chaosnet run` does but without the
interpreter's start-up and the terminal display, `--runs` times. Prints a table and writes
bench/results/sim-scenarios.json: per scenario the medians of simulated seconds (the run's,
settling included), wall seconds, CPU seconds of this process, and the two ratios. The CPU ratio is
the one to compare on a shared machine; the issue's target is 50 times real time for every scenario.
`--messages` adds one run per scenario that counts the peer messages it sends, by path.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from sim_messages import MessageTally

from chaosnet.backends.refusals import refuse_for_backend
from chaosnet.backends.sim import SimBackend
from chaosnet.errors import ScenarioError
from chaosnet.plan import resolve
from chaosnet.runner import Runner, new_run_dir
from chaosnet.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "sim-scenarios.json"
TARGET = 50.0


def accepted(path: Path) -> bool:
    """What `chaosnet run --backend sim` would run rather than refuse."""
    text = path.read_text(encoding="utf-8")
    try:
        refuse_for_backend(text, str(path), "sim")
    except ScenarioError:
        return False
    return True


def one_run(path: Path, out: Path) -> dict[str, float | str]:
    plan = resolve(load_scenario(path), None)
    runner = Runner(plan, SimBackend(), new_run_dir(out, plan.scenario.name))
    started, cpu_started = time.perf_counter(), time.process_time()
    result = runner.run()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    simulated = float(result.results["duration_s"])
    return {"verdict": result.verdict, "simulated_s": simulated, "wall_s": wall, "cpu_s": cpu}


@dataclass(frozen=True)
class Row:
    """One scenario's medians over its runs."""

    verdicts: list[str]
    simulated_s: float
    wall_s: float
    cpu_s: float
    sim_s_per_wall_s: float
    sim_s_per_cpu_s: float
    runs: list[dict[str, float | str]]

    @classmethod
    def of(cls, runs: list[dict[str, float | str]]) -> Row:
        def median(values: Iterable[float]) -> float:
            return round(statistics.median(values), 2)

        simulated = [float(r["simulated_s"]) for r in runs]
        wall = [float(r["wall_s"]) for r in runs]
        cpu = [float(r["cpu_s"]) for r in runs]
        return cls(
            verdicts=sorted({str(r["verdict"]) for r in runs}),
            simulated_s=median(simulated),
            wall_s=median(wall),
            cpu_s=median(cpu),
            sim_s_per_wall_s=median(s / w for s, w in zip(simulated, wall, strict=True)),
            sim_s_per_cpu_s=median(s / c for s, c in zip(simulated, cpu, strict=True)),
            runs=runs,
        )

    def line(self, name: str) -> str:
        mark = "" if self.sim_s_per_cpu_s >= TARGET else f"  < {TARGET:g}x"
        return (
            f"{name:<22} {'/'.join(self.verdicts):<8} {self.simulated_s:>7.1f} {self.wall_s:>7.2f} "
            f"{self.cpu_s:>7.2f} {self.sim_s_per_wall_s:>8.1f}x {self.sim_s_per_cpu_s:>7.1f}x{mark}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("scenarios", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--messages", action="store_true", help="one more run each, counting its messages"
    )
    args = parser.parse_args()
    paths = args.scenarios or sorted((ROOT / "scenarios").glob("*.yaml"))
    figures: dict[str, dict[str, object]] = {}
    print(f"{'scenario':<22} {'verdict':<8} {'sim s':>7} {'wall s':>7} {'CPU s':>7} "
          f"{'sim/wall':>9} {'sim/CPU':>8}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            if not accepted(path):
                print(f"{path.stem:<22} refused by --backend sim")
                continue
            row = Row.of([one_run(path, Path(tmp)) for _ in range(args.runs)])
            figures[path.stem] = asdict(row)
            print(row.line(path.stem))
            if args.messages:
                with MessageTally() as tally:
                    one_run(path, Path(tmp))
                figures[path.stem]["messages"] = tally.to_json()
                print(f"{'':<22} {tally.line()}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    setup = {"runs": args.runs, "load_average": os.getloadavg(), "target": TARGET}
    RESULTS.write_text(json.dumps({"setup": setup, "scenarios": figures}, indent=2) + "\n")


if __name__ == "__main__":
    main()
