"""The rules of the timeline, without a clock: which event is due at a given run time.

Scenario events fire in list order, each after the one above it: a `when` is watched from the
moment its predecessor fired (or timed out). Events drawn by chaos, and follow-ups the runner adds
(the restart after a crash, the end of a pause), run alongside on their own triggers. Time and the
answer to a condition come in as inputs and the caller reports what firing did, so a test drives
the whole timeline with a fake clock and no processes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chaosnet.plan import PlannedAction, PlannedEvent
from chaosnet.scenario.model import After, At, Condition, When

ConditionCheck = Callable[[Condition], bool]


@dataclass(frozen=True)
class Fire:
    """Apply `event` now; `planned` is the run time it was due (a `when`: the moment it held)."""

    event: PlannedEvent
    planned: float
    in_order: bool  # one of the scenario's own events, which fire one after another


@dataclass(frozen=True)
class TimedOut:
    """A `when` whose condition did not hold within its timeout: it never fires."""

    event: PlannedEvent
    reason: str


Due = Fire | TimedOut


class Schedule:
    """What has fired, what is due, and what became of each event (`status`, for results)."""

    def __init__(self, events: Sequence[PlannedEvent], duration: float) -> None:
        self.duration = duration
        self._in_order = deque(e for e in events if e.origin == "timeline")
        self._own = {e.id for e in self._in_order}  # the scenario's events, named by its author
        self._alongside = [e for e in events if e.origin != "timeline"]
        self._previous = 0.0  # when the last in-order event fired or timed out
        self._armed: dict[str, float] = {}
        self.fired: dict[str, float] = {}  # event id → run time it fired
        self.status: dict[str, tuple[str, str | None]] = {}  # event id → (status, detail)
        self.followups: list[PlannedEvent] = []

    def next_due(self, now: float, holds: ConditionCheck) -> Due | None:
        """The next event to fire (or to give up on) at run time `now`; None when nothing is."""
        if self._in_order:
            due = self._check(self._in_order[0], now, holds, in_order=True)
            if due is not None:
                self._in_order.popleft()
                if isinstance(due, TimedOut):
                    self._previous = now
                return due
        return self._earliest_alongside(now, holds)

    def _earliest_alongside(self, now: float, holds: ConditionCheck) -> Due | None:
        """Of the side events due, the one planned first: a loop that fell behind must still
        restart a crashed node before the chaos crash planned after that restart."""
        due = [d for e in self._alongside if (d := self._check(e, now, holds, False)) is not None]
        if not due:
            return None
        first = min(due, key=lambda d: d.planned if isinstance(d, Fire) else float("-inf"))
        self._alongside.remove(first.event)
        return first

    def record(
        self, fire: Fire, started: float, ended: float, status: str, detail: str | None
    ) -> None:
        """What firing did: `started` anchors `after:` triggers, `ended` arms the next `when`."""
        self.fired[fire.event.id] = started
        self.status[fire.event.id] = (status, detail)
        if fire.in_order:
            self._previous = ended

    def follow(
        self, parent: PlannedEvent, suffix: str, delay: float, action: PlannedAction
    ) -> None:
        """Add an event `delay` seconds after `parent` fired (a restart, the end of a pause)."""
        event = PlannedEvent(
            f"{parent.id}.{suffix}", After(parent.id, delay), action, parent.origin
        )
        self._alongside.append(event)
        self.followups.append(event)

    def ends(self) -> dict[str, float]:
        """Each of the scenario's events that fired → when it was over: when the last event it
        set off fired (its restart or the end of its window, the faults a chaos event drew and
        theirs), else when it fired itself. What an event set off is named after it (`slow.resume`,
        `chaos.crash2.restart`); an event of the scenario's own named `split.2` is not split's."""
        ends = {name: t for name, t in self.fired.items() if name in self._own}
        for name, t in self.fired.items():
            if name in self._own:
                continue
            roots = [own for own in ends if name.startswith(f"{own}.")]
            if roots:
                root = max(roots, key=len)
                ends[root] = max(ends[root], t)
        return ends

    def over(self, now: float) -> bool:
        return now >= self.duration

    def abandon(self, reason: str) -> None:
        """Every event that has not fired stays pending, with `reason`."""
        for event in [*self._in_order, *self._alongside]:
            self.status.setdefault(event.id, ("pending", reason))
        self._in_order.clear()
        self._alongside.clear()

    def _check(
        self, event: PlannedEvent, now: float, holds: ConditionCheck, in_order: bool
    ) -> Due | None:
        trigger = event.trigger
        if isinstance(trigger, At):
            return Fire(event, trigger.seconds, in_order) if now >= trigger.seconds else None
        if isinstance(trigger, After):
            base = self.fired.get(trigger.event)
            if base is None or now < base + trigger.delay:
                return None
            return Fire(event, base + trigger.delay, in_order)
        return self._check_when(event, trigger, now, holds, in_order)

    def _check_when(
        self, event: PlannedEvent, trigger: When, now: float, holds: ConditionCheck, in_order: bool
    ) -> Due | None:
        armed = self._armed.setdefault(event.id, self._previous)
        if now < armed:
            return None
        if holds(trigger.condition):
            return Fire(event, now, in_order)
        if now - armed > trigger.timeout:
            reason = f"condition not met within {trigger.timeout:g}s"
            self.status[event.id] = ("timeout", reason)
            return TimedOut(event, reason)
        return None
