"""Background work of the P2P layer: fire-and-forget sends and periodic loops, cancelled together
at shutdown. A loop runs its step through `guarded`, so a bug in one step is logged and the loop
goes on: a node whose sync loop died would silently fall behind forever."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger("reference_node.p2p")


class Tasks:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coro: Coroutine[Any, Any, Any], name: str | None = None) -> None:
        task = asyncio.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def cancel_all(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def guarded(step: Callable[[], None]) -> None:
    """Run one step of a background loop; a bug must not silently kill the loop."""
    try:
        step()
    except Exception:
        log.exception("%s failed", getattr(step, "__name__", "a loop step"))
