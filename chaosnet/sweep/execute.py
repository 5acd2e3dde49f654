"""Running a sweep: every point under N seeds, J runs at a time, each through the library exactly
as `chaosnet run` does (`Runner(resolve(scenario, seed), backend, run_dir).run()`).

Runs go on worker threads; each local run has its own ports and directory. Ctrl-C stops handing
out runs and interrupts the ones in flight (their runners tear down and journal "interrupted"),
so what finished is kept. Runs that ended in error or were interrupted measure nothing and are
listed apart in `sweep.json` (`excluded_runs`).
"""

from __future__ import annotations

import ctypes
import json
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaosnet.backends import make_backend
from chaosnet.plan import resolve
from chaosnet.report.sweep import SWEEP_FORMAT, load_sweep, sweep_csv
from chaosnet.runner import Runner
from chaosnet.sweep.grid import Axis, Point
from chaosnet.sweep.measures import THEORY, estimates, run_figures

MEASURED_VERDICTS = ("pass", "fail")


@dataclass(frozen=True, eq=False)  # each trial is one run: identity is equality
class Trial:
    point: Point
    seed: int
    run_dir: Path


RunOne = Callable[[Trial], dict[str, Any]]  # one trial → its results.json


def plan_trials(points: list[Point], seeds: int, sweep_dir: Path) -> list[Trial]:
    """Seeds count up from each point's scenario seed, so a sweep is repeatable."""
    return [
        Trial(
            p, p.scenario.seed + k, sweep_dir / "runs" / f"p{p.index:03d}-seed{p.scenario.seed + k}"
        )
        for p in points
        for k in range(seeds)
    ]


def library_runner(backend: str) -> RunOne:
    def run_one(trial: Trial) -> dict[str, Any]:
        trial.run_dir.mkdir(parents=True, exist_ok=True)
        plan = resolve(trial.point.scenario, trial.seed)
        return Runner(plan, make_backend(backend), trial.run_dir).run().results

    return run_one


class SweepExecution:
    """Runs trials on `jobs` threads; `on_done(trial, results)` is called as each one ends."""

    def __init__(
        self,
        trials: list[Trial],
        run_one: RunOne,
        jobs: int,
        on_done: Callable[[Trial, dict[str, Any]], None] = lambda t, r: None,
    ) -> None:
        self.pending: queue.Queue[Trial] = queue.Queue()
        for trial in trials:
            self.pending.put(trial)
        self.run_one = run_one
        self.jobs = max(1, jobs)
        self.on_done = on_done
        self.finished: dict[Trial, dict[str, Any]] = {}
        self.interrupted = False
        self.stopped = False  # asked to hand out no more trials; runs in flight finish
        self._lock = threading.Lock()
        self._busy: set[int] = set()  # thread ids inside a run

    def execute(self) -> dict[Trial, dict[str, Any]]:
        workers = [threading.Thread(target=self._work, daemon=True) for _ in range(self.jobs)]
        for worker in workers:
            worker.start()
        try:
            for worker in workers:
                while worker.is_alive():
                    worker.join(timeout=0.2)
        except KeyboardInterrupt:
            self._interrupt(workers)
        return self.finished

    def _work(self) -> None:
        ident = threading.get_ident()
        while not (self.interrupted or self.stopped):
            try:
                trial = self.pending.get_nowait()
            except queue.Empty:
                return
            with self._lock:
                self._busy.add(ident)
            try:
                results = self.run_one(trial)
            except KeyboardInterrupt:
                return
            except Exception as exc:  # a broken run is reported, never the end of the sweep
                results = {"verdict": "error", "error": f"chaosnet itself failed: {exc!r}"}
            finally:
                with self._lock:
                    self._busy.discard(ident)
            with self._lock:
                self.finished[trial] = results
            self.on_done(trial, results)

    def stop(self) -> None:
        """Hand out no more trials (explore has found what it was asked to find)."""
        self.stopped = True

    def _interrupt(self, workers: list[threading.Thread]) -> None:
        """Stop handing out trials and raise KeyboardInterrupt inside every run in flight, as
        Ctrl-C does in `chaosnet run`: each runner tears its network down and says so."""
        self.interrupted = True
        with self._lock:
            busy = list(self._busy)
        for ident in busy:
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(ident), ctypes.py_object(KeyboardInterrupt)
            )
        for worker in workers:
            worker.join()


def write_sweep(
    sweep_dir: Path,
    scenario_file: Path,
    axes: list[Axis],
    finished: dict[Trial, dict[str, Any]],
) -> Path:
    """sweep.json and sweep.csv (format chaosnet-sweep/v1, docs/running.md) from finished runs."""
    by_point: dict[int, list[Trial]] = {}
    for trial in sorted(finished, key=lambda t: (t.point.index, t.seed)):
        by_point.setdefault(trial.point.index, []).append(trial)
    points = []
    for trials in by_point.values():
        measured = [t for t in trials if finished[t]["verdict"] in MEASURED_VERDICTS]
        figures = [run_figures(finished[t]) for t in measured]
        point = trials[0].point
        points.append(
            {
                "parameters": point.parameters,
                "trials": len(measured),
                "runs": [str(t.run_dir.relative_to(sweep_dir)) for t in measured],
                "excluded_runs": [
                    str(t.run_dir.relative_to(sweep_dir)) for t in trials if t not in measured
                ],
                "metrics": {
                    name: e.to_json() for name, e in estimates(point.scenario, figures).items()
                },
            }
        )
    document = {
        "format": SWEEP_FORMAT,
        "scenario": {"name": _scenario_name(finished), "file": str(scenario_file)},
        "parameters": [a.name for a in axes],
        "points": points,
        "theory": _theory_used(points),
    }
    sweep_dir.mkdir(parents=True, exist_ok=True)
    (sweep_dir / "sweep.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    (sweep_dir / "sweep.csv").write_text(sweep_csv(load_sweep(sweep_dir)))
    return sweep_dir / "sweep.json"


def _scenario_name(finished: dict[Trial, dict[str, Any]]) -> str:
    return next((t.point.scenario.name for t in finished), "")


def _theory_used(points: list[dict[str, Any]]) -> dict[str, str]:
    """The words for each closed form that gave an `expected` somewhere in this sweep."""
    used = {
        name.partition(".")[0]
        for p in points
        for name, m in p["metrics"].items()
        if m["expected"] is not None
    }
    return {k: v for k, v in THEORY.items() if k in used}
