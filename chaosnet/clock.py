"""Where the runner's time comes from: the host's clocks, or a simulated world's virtual ones.

`Clock` is what the journal and the runner's loops read and sleep on. A real run reads the host
(`REAL_CLOCK`). A simulated run (`--backend sim`) hands the runner a `SteppedClock`: sleeping on it
moves virtual time forward, and the observer and the load generator become steps it calls at
their virtual times instead of threads, so one thread plays the whole run in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

Step = Callable[[float], float | None]
"""Called at virtual time `now`; returns when it wants to run next (None: never again)."""


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic clock (only differences mean anything)."""

    def wall(self) -> float:
        """Unix seconds, the time nodes stamp their events with."""

    def sleep(self, seconds: float) -> None: ...


@runtime_checkable
class SteppedClock(Clock, Protocol):
    """A clock that time only moves on when slept on; background work runs as steps of it."""

    def schedule(self, at: float, step: Step) -> None:
        """Call `step` at `now() >= at` while someone sleeps, then again when it asks."""


class RealClock:
    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


REAL_CLOCK = RealClock()


def every(interval: float, action: Callable[[], None]) -> Step:
    """A step that runs `action` every `interval` seconds, for `SteppedClock.schedule`."""

    def step(now: float) -> float:
        action()
        return now + interval

    return step
