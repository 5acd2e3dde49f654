"""Transaction load: signed transfers between genesis accounts, paced to a target rate.

The accounts are split between a few lanes (threads); a lane owns its accounts' nonces and sends
everything of theirs due within the next BATCH_TICK as one batch to the lane's node (see
`submit.py`), over one keep-alive connection. When that node is down the lane moves to the next
running one; a node that refuses an account's next transaction (it lost earlier ones in a crash)
gets that account's nonce re-read. Every loop is bounded by the offered count and by the end time
plus LATE_CUTOFF; what is still unsent then stays unsent, and `LoadStats` says so. Accepted
transactions are recorded so TPS counts only what the load submitted.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

import httpx

from chaosnet import httpclient
from chaosnet.backends.base import Backend
from chaosnet.journal import Journal
from chaosnet.load.accounting import LATE_AFTER, LoadStats
from chaosnet.load.submit import MAX_BATCH, Answer, DirectPost, Submitter
from chaosnet.scenario.model import Load, LoadPattern
from reference_node.core.keys import account_address, account_key
from reference_node.core.tx import Transaction

MAX_LANES = 8  # threads sending; batching, not concurrency, is what carries the rate
BATCH_TICK = 0.1  # a lane sends, as one batch, what is due within this many seconds
LATE_CUTOFF = 5.0  # seconds after the load window when a lane gives up what it has left


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


Due = tuple[int, float]  # (account, run time at which its transaction is due)


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
        self._account_of = {address: i for i, address in enumerate(self._addresses)}
        self._nonces = [0] * load.accounts
        self._txids_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stepped: tuple[Submitter, list[deque[Due]]] | None = None  # step() instead of lanes

    @property
    def window(self) -> tuple[float, float]:
        return (self.load.start, self.load.start + self.duration)

    def start(self) -> None:
        for lane, schedule in enumerate(self._lanes()):
            thread = threading.Thread(
                target=self._lane, args=(lane, schedule), name=f"load-{lane}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def _lanes(self) -> list[deque[Due]]:
        """Per lane, its `(account, run time)` sends in order; each account belongs to one lane."""
        offsets = send_offsets(self.load, self.duration)
        self.stats.offered = len(offsets)
        lanes = min(MAX_LANES, len(self._keys), max(1, len(self.targets())))
        schedules = []
        for lane in range(lanes):
            accounts = list(range(lane, len(self._keys), lanes))
            schedules.append(
                deque(
                    (accounts[(k // lanes) % len(accounts)], self.load.start + off)
                    for k, off in enumerate(offsets)
                    if k % lanes == lane
                )
            )
        return schedules

    def step(self, now: float) -> float | None:
        """Instead of `start`: send, from the caller's thread, each lane's batch due by run time
        `now`, the same batches the lanes would send; the run time of the next send (None: all
        sent). A simulated run calls this at virtual times, so the load is part of its one order."""
        if self._stepped is None:
            client = httpclient.client(self.transport, timeout=httpx.Timeout(2.0))
            direct = self.transport if isinstance(self.transport, DirectPost) else None
            self._stepped = (Submitter(client, self._stop.is_set, direct), self._lanes())
        submitter, schedules = self._stepped
        for lane, schedule in enumerate(schedules):
            due: list[int] = []
            while schedule and schedule[0][1] <= now and len(due) < MAX_BATCH:
                due.append(schedule.popleft()[0])
            if due and not self._stop.is_set():
                self._send(submitter, lane, due)
        pending = [s[0][1] for s in schedules if s]
        if pending and not self._stop.is_set():
            return min(pending)
        submitter.client.close()
        return None

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        if self._stepped is not None:
            self._stepped[0].client.close()

    def note_confirmed(self, confirmed: int) -> None:
        """How many submitted transactions the final chain holds (known only after the run)."""
        self.stats.confirmed = confirmed

    def _lane(self, lane: int, schedule: deque[Due]) -> None:
        """Send `schedule` in order, a tick's worth at a time; this lane owns its accounts."""
        deadline = self.window[1] + LATE_CUTOFF
        with httpclient.client(self.transport, timeout=httpx.Timeout(2.0, connect=1.0)) as client:
            submitter = Submitter(client, self._stop.is_set)
            while schedule:
                wait = schedule[0][1] - BATCH_TICK - self.journal.now()
                if self._stop.wait(max(wait, 0.0)):
                    return
                now = self.journal.now()
                if now > deadline:
                    return
                due: list[Due] = []
                while schedule and schedule[0][1] <= now + BATCH_TICK and len(due) < MAX_BATCH:
                    due.append(schedule.popleft())
                self.stats.add(late=sum(1 for _, at in due if now - at > LATE_AFTER))
                self._send(submitter, lane, [account for account, _ in due])
                self._stop.wait(BATCH_TICK)  # let the next batch gather

    def _send(self, submitter: Submitter, lane: int, accounts: list[int]) -> None:
        """One batch to the lane's node, or the next running one when that does not answer."""
        txs = self._sign(accounts)
        running = self.targets()
        for attempt in range(len(running)):
            node = running[(lane + attempt) % len(running)]
            try:
                answer = submitter.submit(self.backend.endpoint(node).url, txs)
            except httpx.HTTPError:
                continue
            self._settle(submitter, node, answer)
            return
        self.stats.add(unreachable=len(txs))

    def _sign(self, accounts: list[int]) -> list[Transaction]:
        """One signed transfer per entry, each account's nonces in order from its next one."""
        txs: list[Transaction] = []
        next_nonce: dict[int, int] = {}
        for account in accounts:
            nonce = next_nonce.get(account, self._nonces[account])
            next_nonce[account] = nonce + 1
            recipient = self._addresses[(account + 1) % len(self._addresses)]
            unsigned = Transaction(self._addresses[account], recipient, 1, 1, nonce, "")
            signature = self._keys[account].sign(unsigned.signing_bytes()).hex()
            txs.append(Transaction(unsigned.sender, recipient, 1, 1, nonce, signature))
        return txs

    def _settle(self, submitter: Submitter, node: str, answer: Answer) -> None:
        """Count the answer, move each account past its accepted nonces, re-read the nonce of
        an account whose next transaction the node refused."""
        with self._txids_lock:
            self.txids.update(answer.accepted)
        self.stats.add(submitted=len(answer.accepted), rejected=len(answer.refused))
        for tx in answer.accepted.values():
            account = self._account_of[tx.sender]
            self._nonces[account] = max(self._nonces[account], tx.nonce + 1)
        for tx in answer.refused:
            account = self._account_of[tx.sender]
            if tx.nonce == self._nonces[account]:
                self._resync_nonce(submitter.client, node, account)

    def _resync_nonce(self, client: httpx.Client, node: str, account: int) -> None:
        """Take the node's confirmed next nonce: what it expects after losing our pending txs."""
        try:
            info = client.get(
                f"{self.backend.endpoint(node).url}/balance/{self._addresses[account]}"
            ).json()
            self._nonces[account] = max(int(info["nonce"]), 0)
        except (httpx.HTTPError, ValueError, KeyError):
            pass
