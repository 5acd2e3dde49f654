"""Watches every running node: heights, tips and work over time, first-seen time of every block,
reorgs, and memory. Polls `/status` and `/events` (see docs/architecture.md) from a thread;
`targets` (the runner's knowledge of which nodes run) saves asking the backend every round;
`transport` lets tests answer in memory (httpx.MockTransport) instead of over sockets; one that
also `read`s directly (`httpclient.DirectReads`, the simulator's) is asked without httpx objects.

A node that does not answer is simply not sampled this round: crashes are the point of the tool.

A round asks at most ROUND_SIZE nodes, taking turns in a fixed order (`poll_round`): each poll is
three or four requests, and asking 200 nodes every half second would cost a simulated network
more than its nodes' own work. Up to ROUND_SIZE nodes every node is asked every round; above it,
each node every ceil(N / ROUND_SIZE) rounds. `poll_once` still asks everyone (the final state).

Attack metrics (chaosnet/observe/attacks.py) need what the honest side saw, so a sample also carries
each node's peer ids, its count of rejected invalid messages (from `/metrics?name[]=…`, that series
alone, when it answers) and, for every payment a double-spend persona announced, the
confirmations that node gives it (`/tx`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from chaosnet import httpclient
from chaosnet.backends.base import Backend
from chaosnet.journal import Journal

INVALID_MESSAGES_METRIC = "chaosnet_invalid_messages_total"
INVALID_MESSAGES_QUERY = f"name[]={INVALID_MESSAGES_METRIC}"  # that series alone
WATCHED_PAYMENTS = 4  # the latest payments of double-spend personas, asked of every node
ROUND_SIZE = 25  # nodes asked per round (see the module docstring)


@dataclass(frozen=True)
class NodeView:
    """The latest answer of one node's `/status`."""

    name: str
    t: float
    height: int
    tip: str
    total_work: int
    peers: int
    mempool: int


class Observer:
    def __init__(
        self,
        backend: Backend,
        journal: Journal,
        targets: Callable[[], list[str]],
        interval: float = 0.5,
        stats_every: float = 5.0,
        on_sample: Callable[[dict[str, NodeView]], None] | None = None,
        transport: httpx.BaseTransport | None = None,
        parallel: bool = True,
        block_txids: bool = False,
    ) -> None:
        """`parallel=False` polls nodes one after another in the caller's thread (a simulated
        run, whose nodes answer in the world's one thread and must be asked in one order).
        `block_txids` asks for each seen block's txids (`/events?txids=1`) and journals them: a
        double spend's payment may sit in an honest chain for a millisecond, between samples,
        and only the block events show it."""
        self.backend = backend
        self.journal = journal
        self.targets = targets
        self.interval = interval
        self.stats_every = stats_every
        self.on_sample = on_sample
        self.block_txids = block_txids
        self.latest: dict[str, NodeView] = {}
        self.first_seen: dict[str, dict[str, float]] = {}  # block hash → node → run time
        self.block_height: dict[str, int] = {}
        self._cursor: dict[str, int] = {}
        self._turn = 0  # where the next round starts in the list of targets
        self._payments: list[str] = []  # txids announced by attackers, newest last
        self._txids_in_events: set[str] = set()  # nodes whose block events list their txids
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = httpclient.client(transport, timeout=httpx.Timeout(2.0, connect=1.0))
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="observe")
        self._stats_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="stats")
        self._stats_thread: threading.Thread | None = None
        self._map = self._pool.map if parallel else map
        self._read = httpclient.reader(self._client, transport)

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="observer", daemon=True)
        self._thread.start()
        self._stats_thread = threading.Thread(
            target=self._stats_loop, name="observer-stats", daemon=True
        )
        self._stats_thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in (self._thread, self._stats_thread):
            if thread is not None:
                thread.join(timeout=10)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._stats_pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()

    def _stats_loop(self) -> None:
        """Memory per node on its own clock: engine stats calls can take a second each (docker),
        and must never slow the sampling of heights and tips."""
        while not self._stop.wait(self.stats_every):
            try:
                self.sample_stats()
            except Exception as exc:
                self.journal.record("observer_error", error=f"stats: {exc!r}")

    def sample_stats(self) -> None:
        names = self.targets()
        for name, stats in zip(names, self._stats_pool.map(self.backend.stats, names), strict=True):
            if stats.rss_bytes is not None:
                self.journal.record("stats", node=name, rss=stats.rss_bytes)

    def _loop(self) -> None:
        while not self._stop.is_set():
            started = self.journal.now()
            try:
                self.poll_round()
            except Exception as exc:  # an observer never breaks a run
                self.journal.record("observer_error", error=repr(exc))
            self._stop.wait(max(0.0, self.interval - (self.journal.now() - started)))

    # -- one round --------------------------------------------------------------------------------

    def poll_once(self) -> None:
        """Ask every running node."""
        self._poll(self.targets())

    def poll_round(self) -> None:
        """Ask the next ROUND_SIZE running nodes, in turn (everyone, in a small network)."""
        targets = self.targets()
        if len(targets) <= ROUND_SIZE:
            self._poll(targets)
            return
        start = self._turn % len(targets)
        self._turn = start + ROUND_SIZE
        self._poll((targets + targets)[start : start + ROUND_SIZE])

    def _poll(self, targets: list[str]) -> None:
        for view in self._map(self._poll_node, targets):
            if view is not None:
                with self._lock:
                    self.latest[view.name] = view
        if self.on_sample is not None:
            try:
                self.on_sample(self.snapshot())
            except Exception as exc:
                self.journal.record("observer_error", error=f"progress hook: {exc!r}")

    def _poll_node(self, name: str) -> NodeView | None:
        base = self.backend.endpoint(name).url
        try:
            status = self._read_json(f"{base}/status")
            events = self._events_since(base, self._cursor.get(name, 0))
        except (httpx.HTTPError, ValueError):
            return None
        self._ingest_events(name, events)
        view = NodeView(
            name=name,
            t=self.journal.now(),
            height=int(status["height"]),
            tip=str(status["tip"]),
            total_work=int(status["total_work"]),
            peers=len(status.get("peers") or []),
            mempool=int(status.get("mempool_size", 0)),
        )
        extra = self._attack_evidence(name, base, status)
        self.journal.record(
            "sample",
            node=name,
            height=view.height,
            tip=view.tip,
            work=view.total_work,
            peers=view.peers,
            mempool=view.mempool,
            peer_ids=[str(p.get("node_id")) for p in status.get("peers") or []],
            **extra,
        )
        return view

    def _events_since(self, base: str, cursor: int) -> dict[str, Any]:
        """The node's events from `cursor` on. A node numbers its events from 1 each time it
        starts, so an answer whose `next` is behind the cursor means it restarted: read its new
        log from the start, or the blocks it synced while coming back would be missed."""
        extra = "&txids=1" if self.block_txids else ""
        answer: dict[str, Any] = self._read_json(f"{base}/events?since={cursor}{extra}")
        if int(answer.get("next", cursor)) < cursor:
            answer = self._read_json(f"{base}/events?since=0{extra}")
        return answer

    def _attack_evidence(self, name: str, base: str, status: dict[str, Any]) -> dict[str, Any]:
        """Optional sample fields: the persona's own report, invalid messages, payment depths.
        Payment depths are asked of `/tx` only where the journalled block events cannot show
        them: a node whose events carry no txids (another implementation may leave them out)."""
        extra: dict[str, Any] = {}
        persona = status.get("persona_stats")
        if persona:
            extra["persona"] = persona
            self._watch_payment(str(persona.get("payment") or ""))
        invalid = self._invalid_messages(base)
        if invalid is not None:
            extra["invalid_messages"] = invalid
        depths = {} if name in self._txids_in_events else self._payment_confirmations(base)
        if depths:
            extra["payments"] = depths
        return extra

    def _watch_payment(self, txid: str) -> None:
        with self._lock:
            if txid and txid not in self._payments:
                self._payments = [*self._payments, txid][-WATCHED_PAYMENTS:]

    def _invalid_messages(self, base: str) -> int | None:
        try:
            status, content = self._read(f"{base}/metrics?{INVALID_MESSAGES_QUERY}")
        except httpx.HTTPError:
            return None
        if status != 200:
            return None
        for line in content.decode("utf-8", "replace").splitlines():
            if line.startswith(INVALID_MESSAGES_METRIC):
                return int(float(line.split()[-1]))
        return None

    def _payment_confirmations(self, base: str) -> dict[str, int]:
        with self._lock:
            watched = list(self._payments)
        depths = {}
        for txid in watched:
            try:
                status, content = self._read(f"{base}/tx/{txid}")
                if status == 200:
                    depths[txid] = int(json.loads(content).get("confirmations") or 0)
            except (httpx.HTTPError, ValueError):
                continue
        return depths

    def _read_json(self, url: str) -> Any:
        """The JSON body at `url` whatever its status (a refusal fails the caller's reading)."""
        return json.loads(self._read(url)[1])

    def _ingest_events(self, name: str, answer: dict[str, Any]) -> None:
        for event in answer.get("events", []):
            seen_t = round(self.journal.wall_to_t(float(event["time"])), 4)
            if event["kind"] == "block":
                with self._lock:
                    self.first_seen.setdefault(event["hash"], {})
                    self.first_seen[event["hash"]].setdefault(name, seen_t)
                    self.block_height[event["hash"]] = int(event["height"])
                txids = {}
                if self.block_txids and "txids" in event:
                    txids = {"txids": event["txids"]}
                    self._txids_in_events.add(name)
                self.journal.record(
                    "block_seen",
                    node=name,
                    hash=event["hash"],
                    height=event["height"],
                    parent=event.get("parent"),
                    source=event.get("source"),
                    miner=event.get("miner"),
                    seen_t=seen_t,
                    **txids,
                )
            elif event["kind"] == "reorg":
                self.journal.record(
                    "reorg",
                    node=name,
                    depth=int(event["depth"]),
                    old_tip=event.get("old_tip"),
                    new_tip=event.get("new_tip"),
                    seen_t=seen_t,
                )
        self._cursor[name] = int(answer.get("next", self._cursor.get(name, 0)))

    # -- questions the runner asks ----------------------------------------------------------------

    def snapshot(self) -> dict[str, NodeView]:
        with self._lock:
            return dict(self.latest)

    def converged(self, nodes: Iterable[str], fresh_after: float = 0.0) -> bool:
        """Every listed node answered since `fresh_after` and they all report the same tip."""
        views = self.snapshot()
        tips = set()
        for name in nodes:
            view = views.get(name)
            if view is None or view.t < fresh_after:
                return False
            tips.add(view.tip)
        return len(tips) == 1

    def min_height(self, nodes: Iterable[str]) -> int:
        views = self.snapshot()
        heights = [views[n].height if n in views else 0 for n in nodes]
        return min(heights) if heights else 0
