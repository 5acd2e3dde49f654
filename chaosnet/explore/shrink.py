"""Delta debugging over a failing fault schedule: fewest faults, then earliest times, then
mildest lengths, every candidate judged by re-running it (`fails`), within a budget of runs.

The shrinker never trusts a candidate it has not seen fail: `best` is always a schedule that
was run and failed (or the schedule it started from), so an interrupted or spent shrink still
hands back something that reproduces.
"""

from __future__ import annotations

from collections.abc import Callable

from chaosnet.explore.faults import Fault

Oracle = Callable[[list[Fault]], bool]  # True when the schedule still fails the same way
Tried = Callable[[list[Fault], bool], None]  # told each verdict once `best` has taken it in
HALVINGS = 3  # bisection steps per time or length: 1/8 of the span is close enough
MIN_STEP = 0.25  # seconds: spans shorter than this are not worth a run


class BudgetSpent(Exception):
    """The shrink has used every run it was given."""


class Shrinker:
    def __init__(
        self,
        faults: list[Fault],
        fails: Oracle,
        budget: int,
        tried: Tried = lambda faults, failed: None,
    ) -> None:
        self.best = sorted(faults, key=lambda f: f.at)  # list order is each fault's identity
        self.fails = fails
        self.budget = budget
        self.tried = tried
        self.runs = 0
        self._seen: dict[tuple[Fault, ...], bool] = {}

    def shrink(self) -> list[Fault]:
        """Run the passes in order of what matters most to a reader; stop when out of runs."""
        try:
            self._fewer()
            self._earlier()
            self._milder()
        except BudgetSpent:
            pass
        return self.best

    def _try(self, candidate: list[Fault]) -> bool:
        """Whether `candidate` fails (run once, remembered); a failing one becomes `best`."""
        key = tuple(sorted(candidate, key=lambda f: f.at))
        known = key in self._seen
        if not known:
            if self.runs >= self.budget:
                raise BudgetSpent
            self.runs += 1
            self._seen[key] = self.fails(list(key))
        if self._seen[key]:
            self.best = candidate
        if not known:
            self.tried(candidate, self._seen[key])
        return self._seen[key]

    def _fewer(self) -> None:
        """Remove chunks of faults, halving the chunk when none can go (ddmin's complements)."""
        chunk = max(1, len(self.best) // 2)
        while self.best:
            removed = False
            start = 0
            while start < len(self.best):
                if self._try(self.best[:start] + self.best[start + chunk :]):
                    removed = True
                else:
                    start += chunk
            if chunk == 1 and not removed:
                return
            chunk = max(1, min(chunk, len(self.best) // 2) if removed else chunk // 2)

    def _earlier(self) -> None:
        for index in range(len(self.best)):
            fault = self.best[index]
            floor = max([fault.earliest, *self._ends_of_partitions_before(fault)])
            self._bisect(index, floor, fault.at, Fault.moved)

    def _milder(self) -> None:
        for index in range(len(self.best)):
            fault = self.best[index]
            self._bisect(index, fault.shortest, fault.length, Fault.lasting)

    def _bisect(
        self, index: int, low: float, high: float, change: Callable[[Fault, float], Fault]
    ) -> None:
        """Move one fault's value from `high` (fails) toward `low`: `low` itself first, then
        halving the gap between the last value that failed and the last that passed."""
        if high - low < MIN_STEP:
            return
        if self._try_value(index, change, low):
            return
        for _ in range(HALVINGS):
            middle = (low + high) / 2
            if self._try_value(index, change, middle):
                high = middle
            else:
                low = middle

    def _try_value(self, index: int, change: Callable[[Fault, float], Fault], value: float) -> bool:
        changed = change(self.best[index], value)
        return self._try([*self.best[:index], changed, *self.best[index + 1 :]])

    def _ends_of_partitions_before(self, fault: Fault) -> list[float]:
        """A partition may not move into an earlier one: a heal heals every partition."""
        if fault.kind != "partition":
            return []
        return [f.end for f in self.best if f.kind == "partition" and f.at < fault.at]
