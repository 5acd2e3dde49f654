"""Transaction load: signed transfers between genesis accounts, paced to a target rate.

Each account is pinned to one target node, so its nonces arrive in order; when that node is down
the account moves to the next running one. Every loop is bounded by the scheduled count and by
the end time. Accepted transactions are recorded so TPS counts only what the load submitted.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from chaosnet.backends.base import Backend
from chaosnet.journal import Journal
from chaosnet.scenario.model import Load, LoadPattern
from reference_node.core.keys import account_address, account_key
from reference_node.core.tx import make_transfer

TPS_PER_WORKER = 8  # a blocking client waits on a busy node: concurrency hides that latency
MAX_WORKERS = 16


def send_offsets(load: Load, duration: float) -> list[float]:
    """Seconds after the load's start at which each transaction is sent, per its pattern."""
    total = int(load.tps * duration)
    if total <= 0:
        return []
    if load.pattern is LoadPattern.BURST:  # one burst per second
        per_second = max(1, round(load.tps))
        return [float(k // per_second) for k in range(total)]
    if load.pattern is LoadPattern.RAMP:  # rate grows from 0 to 2*tps: offsets grow as sqrt(k)
        return [duration * ((k + 1) / total) ** 0.5 for k in range(total)]
    return [k / load.tps for k in range(total)]


@dataclass
class LoadStats:
    scheduled: int = 0
    submitted: int = 0
    rejected: int = 0
    unreachable: int = 0
    late: int = 0  # sent more than a second after their planned time: the load fell behind

    def to_json(self) -> dict[str, int]:
        return dict(vars(self))


class LoadGenerator:
    def __init__(
        self,
        load: Load,
        backend: Backend,
        journal: Journal,
        targets: Callable[[], list[str]],
        run_duration: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.load = load
        self.backend = backend
        self.journal = journal
        self.targets = targets
        self.transport = transport  # None: real sockets; tests pass an httpx.MockTransport
        self.duration = (load.duration or max(0.0, run_duration - load.start)) if load.tps else 0.0
        self.stats = LoadStats()
        self.txids: set[str] = set()
        self._keys = [account_key(i) for i in range(load.accounts)]
        self._addresses = [account_address(i) for i in range(load.accounts)]
        self._nonces = [0] * load.accounts
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._due: deque[tuple[float, int, int]] | None = None  # step(): (offset, worker, account)
        self._client: httpx.Client | None = None

    @property
    def window(self) -> tuple[float, float]:
        return (self.load.start, self.load.start + self.duration)

    def start(self) -> None:
        for w, mine in enumerate(self._assign()):
            thread = threading.Thread(
                target=self._work, args=(mine,), name=f"load-{w}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _assign(self) -> list[list[tuple[int, float]]]:
        """Per worker, its `(account, offset)` sends in order; each account has one worker."""
        offsets = send_offsets(self.load, self.duration)
        self.stats.scheduled = len(offsets)
        wanted = max(1, math.ceil(self.load.tps / TPS_PER_WORKER))
        workers = min(MAX_WORKERS, wanted, len(self._keys))
        assigned = []
        for w in range(workers):
            accounts = list(range(w, len(self._keys), workers))
            assigned.append(
                [
                    (accounts[(k // workers) % len(accounts)], off)
                    for k, off in enumerate(offsets)
                    if k % workers == w
                ]
            )
        return assigned

    def step(self, now: float) -> float | None:
        """Instead of `start`: send what is due by run time `now` from the caller's thread, the
        same sends the workers would make; the run time of the next one (None: all sent).
        A simulated run calls this at virtual times, so the load is part of its one order."""
        if self._due is None:
            sends = [(off, w, acct) for w, mine in enumerate(self._assign()) for acct, off in mine]
            self._due = deque(sorted(sends))
            self._client = httpx.Client(timeout=httpx.Timeout(2.0), transport=self.transport)
        assert self._client is not None
        while self._due and not self._stop.is_set() and self.load.start + self._due[0][0] <= now:
            _, _, account = self._due.popleft()
            self._send(self._client, account)
        if self._due and not self._stop.is_set():
            return self.load.start + self._due[0][0]
        self._client.close()
        return None

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        if self._client is not None:
            self._client.close()

    def _work(self, schedule: list[tuple[int, float]]) -> None:
        """Send `(account, offset)` pairs in order; one worker owns its accounts' nonces."""
        deadline = self.load.start + self.duration + 5.0
        with httpx.Client(
            timeout=httpx.Timeout(2.0, connect=1.0), transport=self.transport
        ) as client:
            for account, offset in schedule:
                due = self.load.start + offset
                delay = due - self.journal.now()
                if delay > 0 and self._stop.wait(delay):
                    return
                if delay < -1.0:
                    with self._lock:
                        self.stats.late += 1
                if self._stop.is_set() or self.journal.now() > deadline:
                    return
                self._send(client, account)

    def _send(self, client: httpx.Client, account: int) -> None:
        running = self.targets()
        if not running:
            self.stats.unreachable += 1
            return
        recipient = self._addresses[(account + 1) % len(self._addresses)]
        tx = make_transfer(self._keys[account], recipient, 1, 1, self._nonces[account])
        body = tx.to_json()
        for attempt in range(len(running)):
            node = running[(account + attempt) % len(running)]
            try:
                answer = client.post(f"{self.backend.endpoint(node).url}/tx", json=body)
            except httpx.HTTPError:
                continue
            if answer.status_code == 202:
                with self._lock:
                    self._nonces[account] += 1
                    self.stats.submitted += 1
                    self.txids.add(str(answer.json()["txid"]))
                return
            with self._lock:
                self.stats.rejected += 1
            if "nonce-gap" in answer.text:  # the node lost earlier txs of ours (a crash)
                self._resync_nonce(client, node, account)
            return
        with self._lock:
            self.stats.unreachable += 1

    def _resync_nonce(self, client: httpx.Client, node: str, account: int) -> None:
        """Take the node's confirmed next nonce: what it expects after losing our pending txs."""
        try:
            info = client.get(
                f"{self.backend.endpoint(node).url}/balance/{self._addresses[account]}"
            ).json()
            with self._lock:
                self._nonces[account] = max(int(info["nonce"]), 0)
        except (httpx.HTTPError, ValueError, KeyError):
            pass


def wait_until(predicate: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    """Poll `predicate` until it holds or `timeout` seconds pass."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return predicate()
