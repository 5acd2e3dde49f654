"""An asyncio event loop on virtual time: nothing waits, the clock jumps to the next timer.

There are no sockets in a simulation, so when no callback is ready the loop's selector is asked
to wait `timeout` seconds: it adds them to the virtual clock and returns at once. `asyncio.sleep`,
`call_later` and every timeout read `loop.time()`, so the nodes' own timers run on virtual time
unchanged. Three more things make one loop host many nodes:

- each node's work runs in a `contextvars.Context` naming it (`SIM_NODE`); tasks inherit it;
- `freeze(node)` parks every callback scheduled in that node's context until `thaw(node)`
  (SIGSTOP and SIGCONT: its timers come due but nothing of it runs);
- `run_in_executor` runs the function inline: a thread would finish at a wall-clock moment.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import selectors
from collections.abc import Callable, Coroutine, Generator, Mapping
from concurrent.futures import Executor
from typing import Any, TypeVar, TypeVarTuple, Unpack

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

SIM_NODE: contextvars.ContextVar[str] = contextvars.ContextVar("sim_node", default="")
"""The node whose work is running; empty outside any node (the runner)."""


class VirtualSelector(selectors.BaseSelector):
    """Holds registrations (the loop's self-pipe) and turns every wait into a jump in time, up
    to `horizon`: a wait past it ends the loop's run there (`on_horizon`)."""

    def __init__(self) -> None:
        self.now = 0.0
        self.horizon = math.inf
        self.on_horizon: Callable[[], None] = lambda: None
        self._keys: dict[int, selectors.SelectorKey] = {}

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
        key = selectors.SelectorKey(fileobj, fd, events, data)
        self._keys[fd] = key
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
        return self._keys.pop(fd)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        """Called only when nothing is ready: `timeout` is the wait for the next timer."""
        if timeout is not None and self.now + timeout <= self.horizon:
            self.now += max(0.0, timeout)
        elif self.horizon < math.inf:
            self.now = max(self.now, self.horizon)
            self.on_horizon()
        else:
            raise RuntimeError("the simulation waits for something no timer will bring")
        return []

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._keys


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """See the module docstring; tasks are grouped by the node whose context created them."""

    def __init__(self) -> None:
        self._virtual = VirtualSelector()
        self._frozen: dict[str, list[asyncio.Handle]] = {}
        self._tasks: dict[str, set[asyncio.Task[Any]]] = {}
        super().__init__(self._virtual)
        self._virtual.on_horizon = self.stop
        self.set_task_factory(self._make_task)

    def run_until(self, t: float) -> None:
        """Run everything due up to virtual time `t`, and what that sets off at `t`, then stop."""
        self._virtual.horizon = t
        try:
            self.run_forever()
        finally:
            self._virtual.horizon = math.inf

    def time(self) -> float:
        return self._virtual.now

    def call_soon(
        self,
        callback: Callable[[Unpack[Ts]], object],
        *args: *Ts,
        context: contextvars.Context | None = None,
    ) -> asyncio.Handle:
        if not self._frozen:  # the common case: nothing to park, no context to look into
            return super().call_soon(callback, *args, context=context)
        ctx = context if context is not None else contextvars.copy_context()
        parked = self._frozen.get(ctx.get(SIM_NODE, ""))
        if parked is not None:
            handle = asyncio.Handle(callback, args, self, ctx)
            parked.append(handle)
            return handle
        return super().call_soon(callback, *args, context=ctx)

    def freeze(self, node: str) -> None:
        self._frozen.setdefault(node, [])

    def thaw(self, node: str) -> None:
        for handle in self._frozen.pop(node, []):
            if not handle.cancelled():
                super().call_soon(handle._run)

    def frozen(self) -> list[str]:
        return list(self._frozen)

    def is_frozen(self, node: str) -> bool:
        return node in self._frozen

    def tasks_of(self, node: str) -> set[asyncio.Task[Any]]:
        return {t for t in self._tasks.get(node, set()) if not t.done()}

    def run_in_executor(
        self, executor: Executor | None, func: Callable[[Unpack[Ts]], T], *args: *Ts
    ) -> asyncio.Future[T]:
        future: asyncio.Future[T] = self.create_future()
        try:
            future.set_result(func(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def _make_task(
        self,
        loop: asyncio.AbstractEventLoop,
        coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
        context: contextvars.Context | None = None,
    ) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, context=context)
        node = context.get(SIM_NODE, "") if context is not None else SIM_NODE.get()
        if node:
            owned = self._tasks.setdefault(node, set())
            owned.add(task)
            task.add_done_callback(owned.discard)
        return task
