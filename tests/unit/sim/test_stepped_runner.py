"""The runner on a stepped clock (what `--backend sim` gives it), over the in-memory backend: no
thread is started, time only moves when the runner sleeps, the observer polls and the load sends
at their exact times. (That two runs write the same journal needs nodes on the same clock:
tests/integration/sim.)"""

from __future__ import annotations

import heapq
import itertools
import threading
from pathlib import Path

from chaosnet.clock import Step
from chaosnet.plan import resolve
from chaosnet.runner import Runner
from chaosnet.scenario.model import At, Crash, Event, Load
from tests.fakes import FakeBackend, journal_of
from tests.unit.runner.test_runner import scenario


class SteppedFakeBackend(FakeBackend):
    """The in-memory backend with a clock that runs the runner's steps as it is slept on."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()  # with FakeBackend's `transport`, this makes it InProcess


class ManualClock:
    def __init__(self) -> None:
        self.t = 100.0
        self._steps: list[tuple[float, int, Step]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.t

    def wall(self) -> float:
        return 1_800_000_000 + self.t

    def schedule(self, at: float, step: Step) -> None:
        heapq.heappush(self._steps, (at, next(self._order), step))

    def sleep(self, seconds: float) -> None:
        target = round(self.t + seconds, 6)
        while self._steps and self._steps[0][0] <= target:
            at, _, step = heapq.heappop(self._steps)
            self.t = max(self.t, at)
            again = step(self.t)
            if again is not None:
                self.schedule(again, step)
        self.t = target


def test_a_stepped_run_starts_no_thread_and_acts_at_exact_times(tmp_path: Path) -> None:
    spec = scenario(
        Event(At(1.0), Crash("n2"), name="crash"),
        duration=3.0,
        load=Load(tps=4, start=0.5, accounts=4),
    )
    before = threading.active_count()
    runner = Runner(resolve(spec, 1), SteppedFakeBackend(), tmp_path)
    threads: list[int] = []
    runner.hooks.on_phase = lambda phase: threads.append(threading.active_count() - before)
    result = runner.run()
    assert result.verdict == "pass", result.results
    assert max(threads) == 0
    assert [e["drift_ms"] for e in result.results["timeline"]] == [0.0]
    load = result.results["metrics"]["load"]
    assert load["offered"] == load["submitted"] == 10 and load["late"] == 0
    sampled_at = {r["t"] for r in journal_of(tmp_path) if r["kind"] == "sample"}
    assert sampled_at and all((t * 2).is_integer() for t in sampled_at)  # every 0.5 s exactly
