"""The virtual-time loop: timers jump, no wall time passes, a frozen node's work waits."""

from __future__ import annotations

import asyncio
import time

from chaosnet.backends.sim.loop import SIM_NODE
from chaosnet.backends.sim.world import SimClock, World


def test_an_hour_of_sleep_takes_no_wall_time() -> None:
    world = World()
    started = time.monotonic()
    world.run(asyncio.sleep(3600))
    assert world.now() == 3600
    assert time.monotonic() - started < 1.0
    world.close()


def test_a_frozen_node_runs_nothing_until_thawed() -> None:
    world = World()
    ticks: list[float] = []

    async def ticker() -> None:
        while True:
            await asyncio.sleep(1)
            ticks.append(world.now())

    world.loop.create_task(ticker(), context=world.context("n1"))
    world.run_until(2.5)
    world.loop.freeze("n1")
    world.run_until(6.5)
    assert ticks == [1, 2]
    world.loop.thaw("n1")
    world.run_until(7.5)
    assert ticks == [1, 2, 6.5, 7.5]  # the timer due at 3 fires on resume, then every second
    world.close()


def test_tasks_started_by_a_node_s_task_are_that_node_s() -> None:
    world = World()
    seen: list[str] = []

    async def child() -> None:
        seen.append(SIM_NODE.get())
        await asyncio.sleep(100)

    async def parent() -> None:
        asyncio.get_running_loop().create_task(child())
        await asyncio.sleep(100)

    world.loop.create_task(parent(), context=world.context("n2"))
    world.run_until(1)
    assert seen == ["n2"] and len(world.loop.tasks_of("n2")) == 2
    world.close()


def test_sleeping_on_the_clock_calls_steps_at_their_virtual_times() -> None:
    world = World()
    clock = SimClock(world)
    calls: list[float] = []

    def step(now: float) -> float | None:
        calls.append(now)
        return now + 0.5 if now < 1.5 else None

    clock.schedule(0.25, step)
    clock.sleep(3)
    assert calls == [0.25, 0.75, 1.25, 1.75] and clock.now() == 3
    world.close()


def test_executor_work_runs_inline_at_the_same_instant() -> None:
    world = World()

    async def offload() -> int:
        return await asyncio.get_running_loop().run_in_executor(None, sum, [1, 2, 3])

    assert world.run(offload()) == 6 and world.now() == 0
    world.close()
