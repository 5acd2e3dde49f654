"""A run's random faults as an explicit list: what chaos drew for a seed, in run time.

Shrinking works on this list and the reproduction file is written from it, so a fault is the unit
a user reads: one partition (with its heal) or one crash (with its restart), when it starts, how
long it lasts, and the bounds the scenario drew it from (the mildest and earliest it may become).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from chaosnet.errors import UsageError
from chaosnet.plan import CutLinks, Pair, Plan, PlannedEvent
from chaosnet.scenario.model import After, At, Chaos, Crash, Heal, Scenario

SHORTEST_CRASH = 0.5  # seconds: the mildest crash still loses the node's in-flight work


@dataclass(frozen=True)
class Fault:
    kind: str  # "partition" or "crash"
    at: float  # run time it starts, seconds
    length: float  # how long the partition holds or the node stays down
    earliest: float  # its chaos event's start: it may move no earlier
    shortest: float  # the mildest length the scenario allows
    sides: tuple[tuple[str, ...], ...] = ()  # a partition's sides
    node: str = ""  # a crash's node

    @property
    def end(self) -> float:
        return self.at + self.length

    def moved(self, at: float) -> Fault:
        return replace(self, at=round(at, 3))

    def lasting(self, length: float) -> Fault:
        return replace(self, length=round(length, 3))

    def describe(self) -> str:
        what = (
            f"partition {' | '.join(','.join(s) for s in self.sides)}"
            if self.kind == "partition"
            else f"crash {self.node}"
        )
        return f"{what} at {self.at:g}s for {self.length:g}s"


def check_explorable(scenario: Scenario) -> None:
    """Explore writes what chaos drew as `at:` events among the scenario's own, so the timeline
    must be `at:` events only. A chaos `loss` stays a draw (see `reproduce`), the same only on
    the first chaos event: a later one's draws follow the crashes and partitions drawn before."""
    chaos_seen = False
    for index, event in enumerate(scenario.timeline):
        where = f"timeline event {event.name or index + 1}"
        if not isinstance(event.trigger, At):
            raise UsageError(f"{where}: explore needs every timeline event triggered by `at:`")
        if not isinstance(event.action, Chaos):
            continue
        if chaos_seen and event.action.loss is not None:
            raise UsageError(
                f"{where}: explore can repeat a chaos `loss` only on the first chaos event (its "
                "links' losses are drawn before any crash or partition); move the loss there, "
                "or use fixed `links:` loss"
            )
        chaos_seen = True
    if not any(
        isinstance(e.action, Chaos) and (e.action.crash_rate > 0 or e.action.partition_rate > 0)
        for e in scenario.timeline
    ):
        raise UsageError(
            "the scenario draws no random faults: give a timeline `chaos:` event a crash_rate "
            "or a partition_rate, so each seed explores a different schedule"
        )


def drawn_faults(plan: Plan) -> list[Fault]:
    """The faults every chaos event of `plan` drew, in run time, in the order they start."""
    chaos = {
        e.name or f"#{index}": (e.trigger.seconds, e.action)
        for index, e in enumerate(plan.scenario.timeline)
        if isinstance(e.action, Chaos) and isinstance(e.trigger, At)
    }
    drawn = [e for e in plan.events if e.origin in chaos]
    faults = []
    for event in drawn:
        start, spec = chaos[event.origin]
        if isinstance(event.action, CutLinks):
            heal = _heal_after(event, drawn)
            faults.append(
                Fault(
                    "partition",
                    round(start + _offset(event), 3),
                    round(_offset(heal) - _offset(event), 3),
                    start,
                    spec.partition_length[0],
                    sides=_sides(plan.node_names, event.action.pairs),
                )
            )
        elif isinstance(event.action, Crash):
            faults.append(
                Fault(
                    "crash",
                    round(start + _offset(event), 3),
                    event.action.restart_after or 0.0,
                    start,
                    min(SHORTEST_CRASH, spec.restart_after),
                    node=event.action.node,
                )
            )
    return sorted(faults, key=lambda f: f.at)


def _offset(event: PlannedEvent) -> float:
    assert isinstance(event.trigger, After), "chaos draws its events after the chaos event"
    return event.trigger.delay


def _heal_after(cut: PlannedEvent, drawn: list[PlannedEvent]) -> PlannedEvent:
    later = drawn[drawn.index(cut) + 1 :]
    return next(e for e in later if isinstance(e.action, Heal) and e.origin == cut.origin)


def _sides(names: tuple[str, ...], cut: tuple[Pair, ...]) -> tuple[tuple[str, ...], ...]:
    """The groups that still reach each other: the components of the links not cut."""
    severed = {frozenset(p) for p in cut}
    sides: list[list[str]] = []
    placed: set[str] = set()
    for name in names:
        if name in placed:
            continue
        side, stack = [name], [name]
        placed.add(name)
        while stack:
            here = stack.pop()
            for other in names:
                if other not in placed and frozenset((here, other)) not in severed:
                    placed.add(other)
                    side.append(other)
                    stack.append(other)
        sides.append(side)
    return tuple(tuple(n for n in names if n in side) for side in sides)
