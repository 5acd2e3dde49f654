"""The simulated world: one virtual-time loop, the nodes living on it, and the runner's clock.

`World` runs coroutines in a node's context (so the loop knows whose work it is), keeps each
running node's `NodeApp`, and crashes a node by cancelling every task of it at one instant.
`SimClock` is the runner's view: sleeping on it plays the world forward, calling the steps the
runner scheduled (observer polls, load submissions) at their virtual times, in one thread.
"""

from __future__ import annotations

import asyncio
import contextvars
import heapq
import itertools
from collections.abc import Coroutine
from typing import Any, TypeVar

from chaosnet.backends.sim.loop import SIM_NODE, VirtualTimeLoop
from chaosnet.clock import Step
from reference_node.app import NodeApp

T = TypeVar("T")

EPOCH = 1_800_000_000.0  # unix time of virtual zero: fixed, so every run stamps the same times
UNWIND_ROUNDS = 50  # loop rounds at one instant for a crashed node's tasks to finish cancelling


class World:
    def __init__(self) -> None:
        self.loop = VirtualTimeLoop()
        self.apps: dict[str, NodeApp] = {}

    def now(self) -> float:
        return self.loop.time()

    def wall(self) -> float:
        return EPOCH + self.loop.time()

    def context(self, node: str | None) -> contextvars.Context:
        """A fresh context naming `node`: every task started in it counts as that node's work."""
        ctx = contextvars.copy_context()
        ctx.run(SIM_NODE.set, node or "")
        return ctx

    def run(self, coro: Coroutine[Any, Any, T], node: str | None = None) -> T:
        """Play the world until `coro` (run as `node`'s work) is done."""
        task = self.loop.create_task(coro, context=self.context(node))
        return self.loop.run_until_complete(task)

    def run_until(self, t: float) -> None:
        """Play the world until virtual time `t` (callbacks due at `t` included)."""
        self.loop.run_until(t)

    def paused(self, node: str) -> bool:
        return self.loop.is_frozen(node)

    def drop(self, node: str) -> NodeApp:
        """Take the node out of the world at once, as SIGKILL would: every task of it cancelled
        now, its database closed on whatever was committed."""
        app = self.apps.pop(node)
        self.loop.thaw(node)
        self._cancel(self.loop.tasks_of(node))
        app.store.close()
        return app

    def close(self) -> None:
        """Drop every node, cancel whatever else still waits, and close the loop."""
        for node in list(self.apps):
            self.drop(node)
        for node in self.loop.frozen():
            self.loop.thaw(node)
        self._cancel(asyncio.all_tasks(self.loop))
        self.loop.close()

    def _cancel(self, tasks: set[asyncio.Task[Any]]) -> None:
        """Cancel `tasks` and let them unwind, all at this instant."""
        for task in tasks:
            task.cancel()
        for _ in range(UNWIND_ROUNDS):
            if all(task.done() for task in tasks):
                return
            self.run_until(self.now())


class SimClock:
    """The runner's `SteppedClock`: `sleep` plays the world forward through the due steps."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._steps: list[tuple[float, int, Step]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self.world.now()

    def wall(self) -> float:
        return self.world.wall()

    def schedule(self, at: float, step: Step) -> None:
        heapq.heappush(self._steps, (at, next(self._order), step))

    def sleep(self, seconds: float) -> None:
        # on a microsecond grid: fifty 20 ms ticks must land on 1.0 exactly, not one ulp short
        target = round(self.now() + max(0.0, seconds), 6)
        while self._steps and self._steps[0][0] <= target:
            at, _, step = heapq.heappop(self._steps)
            self.world.run_until(at)
            again = step(self.now())
            if again is not None:
                self.schedule(again, step)
        self.world.run_until(target)
