"""Child processes that die with chaosnet, even when chaosnet is SIGKILLed.

Linux: each child asks the kernel for SIGKILL when its parent goes (`prctl(PR_SET_PDEATHSIG)`,
set between fork and exec). The kernel means the parent *thread*, so every child is forked by one
long-lived launcher thread that lives as long as the chaosnet process; a child forked by a worker
thread would be killed when that worker ends. A parent that died between fork and prctl is caught
by comparing `getppid()` with the launcher's pid. Elsewhere children are plain subprocesses and
`chaosnet down` (pids files, `registry`) is the only clean-up. See docs/decisions.md (D13).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

PR_SET_PDEATHSIG = 1
_Requests = queue.SimpleQueue[tuple[Callable[[], subprocess.Popen[bytes]], Future[Any]]]


def _pdeathsig_setter() -> Callable[[], None] | None:
    """A `preexec_fn` arming PDEATHSIG, with libc resolved now (no loading in the forked child)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl
    parent = os.getpid()

    def arm() -> None:
        if prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)

    return arm


class _Launcher:
    """One daemon thread that forks every child; it ends only with the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner = 0  # the pid that started the thread: a forked copy of chaosnet starts its own
        self._requests: _Requests = queue.SimpleQueue()
        self._arm: Callable[[], None] | None = None

    def popen(self, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        with self._lock:
            if self._owner != os.getpid():
                self._owner = os.getpid()
                self._requests = queue.SimpleQueue()
                self._arm = _pdeathsig_setter()
                threading.Thread(
                    target=self._serve,
                    args=(self._requests,),
                    name="chaosnet-launcher",
                    daemon=True,
                ).start()
            arm, requests = self._arm, self._requests
        done: Future[subprocess.Popen[bytes]] = Future()
        requests.put((lambda: subprocess.Popen(list(argv), preexec_fn=arm, **kwargs), done))
        return done.result()

    @staticmethod
    def _serve(requests: _Requests) -> None:
        while True:
            start, done = requests.get()
            try:
                done.set_result(start())
            except BaseException as exc:
                done.set_exception(exc)


_launcher = _Launcher()


def spawn(argv: Sequence[str], **popen_kwargs: Any) -> subprocess.Popen[bytes]:
    """`subprocess.Popen(argv, **popen_kwargs)` for a child that must not outlive chaosnet."""
    return _launcher.popen(argv, **popen_kwargs)
