"""Headers-first sync and block download: how a node learns and fetches the heaviest chain.

  * every SYNC_INTERVAL ask up to SYNC_PEERS_PER_ROUND peers (the least recently asked) for the
    headers after our locator, and keep asking one that answers a full batch; also at once on
    every handshake, inv of an unknown block, or block whose parent we lack (`ask_headers`).
    A peer is heard when it answers that, or pushes a block that connects or that we hold
    (`heard`); one heard within SYNC_QUIET is not asked, one that does not answer is asked
    every round it comes up, as before, so its failures drop it;
  * fetch the missing bodies of the best-header chain in batches of BLOCK_BATCH, at most
    REQUESTS_PER_PEER requests per peer, only from peers whose last header or block has them in
    its ancestry; a failed batch goes to another peer.
Headers that do not connect cost the sender UNCONNECTED_HEADERS_PENALTY; bad data the core's
penalty. The peer manager owns the peers and the sending; this module only decides what to ask.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..core.block import Block, Header
from ..core.chain import Entry
from ..core.encoding import raise_decode
from ..core.errors import InvalidBlock, ValidationError
from ..node import Node
from .peers import Peer, PeerTable
from .tasks import Tasks, guarded
from .verify import SignatureChecker

MAX_HEADERS = 2000
BLOCK_BATCH = 32
REQUESTS_PER_PEER = 3
DOWNLOAD_WINDOW = 1024
SYNC_INTERVAL = 1.0
SYNC_PEERS_PER_ROUND = 2
"""Periodic getheaders go to at most this many peers a second (the least recently asked), so
each peer is asked every few seconds. The poll only catches what pushes and invs lost; asking
all 8 peers every second was half of an idle node's CPU (21 -> 12 ms/s, docs/performance.md)."""
SYNC_QUIET = 4.0
"""A peer heard from within this long is not polled: one whose blocks reach us has told us its
tip, and any block of it whose parent we lack asks for headers at once. With blocks flowing
that is most polls (a tenth of a 200-node network's messages); in a quiet network each of 8
peers is still asked every 4 s, as SYNC_PEERS_PER_ROUND alone gave."""
DOWNLOAD_TIMEOUT = 10.0
UNCONNECTED_HEADERS_PENALTY = 20

Send = Callable[..., Awaitable[Any]]
"""`send(peer, path, payload, *, timeout=...)`: the answer, or None when the message failed."""


class ChainSync:
    def __init__(
        self,
        node: Node,
        table: PeerTable,
        send: Send,
        penalize: Callable[[str | None, ValidationError], None],
        tasks: Tasks,
        signatures: SignatureChecker,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.node = node
        self.table = table
        self.send = send
        self.penalize = penalize
        self.tasks = tasks
        self.signatures = signatures
        self.monotonic = monotonic
        self.in_flight: dict[str, Peer] = {}
        self._last_asked: dict[str, float] = {}
        self._last_heard: dict[str, float] = {}
        """When each peer last answered our headers request or pushed a block that connects or
        that we hold: the poll skips it for SYNC_QUIET. A peer that does not answer (crashed,
        cut off) is never heard, so the poll keeps asking it and its failures drop it."""
        self._wake = asyncio.Event()

    def start(self) -> None:
        self.tasks.spawn(self._sync_loop(), name="sync")
        self.tasks.spawn(self._download_loop(), name="download")

    def ask_headers(self, peer: Peer) -> None:
        """Ask `peer` for the headers after our locator now (no-op while it is being asked)."""
        self.tasks.spawn(self._sync_headers(peer))

    async def _sync_loop(self) -> None:
        while True:
            await asyncio.sleep(SYNC_INTERVAL)
            guarded(self._sync_some)

    def heard(self, node_id: str | None) -> None:
        """`node_id` answered our headers request, or pushed us a block that connects or one we
        hold: no need to poll it for SYNC_QUIET."""
        if node_id is not None:
            self._last_heard[node_id] = self.monotonic()

    def _sync_some(self) -> None:
        quiet_since = self.monotonic() - SYNC_QUIET
        heard, asked = self._last_heard, self._last_asked
        idle = [
            p
            for p in self.table.peers.values()
            if not p.syncing and heard.get(p.node_id, -math.inf) <= quiet_since
        ]
        idle.sort(key=lambda p: asked.get(p.node_id, -math.inf))
        for peer in idle[:SYNC_PEERS_PER_ROUND]:
            self.ask_headers(peer)

    async def _sync_headers(self, peer: Peer) -> None:
        """Ask `peer` for headers after our locator until it has no more (bounded rounds)."""
        if peer.syncing:
            return
        peer.syncing = True
        self._last_asked[peer.node_id] = self.monotonic()
        try:
            for _ in range(1000):
                answer = await self.send(
                    peer,
                    "/p2p/getheaders",
                    {"locator": self.node.chain.locator(), "count": MAX_HEADERS},
                )
                if not isinstance(answer, dict):
                    return
                self.heard(peer.node_id)
                if not self._take_headers(peer, answer):
                    return
        finally:
            peer.syncing = False

    def _take_headers(self, peer: Peer, answer: dict[str, Any]) -> bool:
        """Feed one getheaders answer to the chain; True when more may follow."""
        try:
            raw = answer.get("headers")
            if not isinstance(raw, list) or len(raw) > MAX_HEADERS:
                raise_decode("headers must be a list of at most 2000 headers")
            headers = [Header.from_json(h) for h in raw]
        except ValidationError as exc:
            self.penalize(peer.node_id, exc)
            return False
        if not headers:
            return False
        update = self.node.receive_headers(headers)
        if update.error is not None:
            self.penalize(peer.node_id, update.error)
            return False
        if update.orphan:
            self.penalize(
                peer.node_id,
                InvalidBlock(
                    "unconnected-headers",
                    "headers do not connect",
                    penalty=UNCONNECTED_HEADERS_PENALTY,
                ),
            )
            return False
        last = self.node.chain.get(headers[-1].hash)
        if last is not None:
            peer.height = max(peer.height, last.height)
            if peer.best_known != last.hash:
                peer.best_known = last.hash
                peer.lacks.clear()
        self._wake.set()
        return len(headers) == MAX_HEADERS

    # -- block download --------------------------------------------------------------------

    async def _download_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.5)
            self._wake.clear()
            guarded(self._schedule_downloads)

    def _schedule_downloads(self) -> None:
        chain = self.node.chain
        todo = [
            e
            for e in chain.missing_blocks(DOWNLOAD_WINDOW, DOWNLOAD_WINDOW)
            if e.hash not in self.in_flight
        ]
        if not todo:  # the usual round: without it, every peer's ancestry down to genesis
            return
        peers = sorted(self.table.peers.values(), key=lambda p: p.requests)
        # one ancestry walk per peer and call: it spans the peer's whole lead over us, so
        # repeating it for every batch made scheduling a 10k-block sync quadratic
        serves = {p.node_id: self._has(p, todo[0].height) for p in peers}
        while todo and peers:
            progress = False
            for peer in peers:
                if not todo:  # an earlier peer took the last blocks
                    break
                if peer.requests >= REQUESTS_PER_PEER:
                    continue
                has = serves[peer.node_id]
                batch = [e.hash for e in todo if has(e) and e.hash not in peer.lacks]
                batch = batch[:BLOCK_BATCH]
                if not batch:
                    continue
                taken = set(batch)
                todo = [e for e in todo if e.hash not in taken]
                for block_hash in batch:
                    self.in_flight[block_hash] = peer
                peer.requests += 1
                self.tasks.spawn(self._fetch(peer, batch))
                progress = True
            if not progress:
                break

    def _has(self, peer: Peer, lowest: int) -> Callable[[Entry], bool]:
        """Which entries (from height `lowest` up) `peer` can serve: the ancestors of the last
        header or block it sent us, so a peer on another branch is never asked for ours; its
        height when we know nothing better."""
        best = self.node.chain.get(peer.best_known) if peer.best_known else None
        if best is None:
            return lambda e: e.height <= peer.height
        ancestors: set[str] = set()
        entry: Entry | None = best
        while entry is not None and entry.height >= lowest:
            ancestors.add(entry.hash)
            entry = entry.parent
        return lambda e: e.hash in ancestors

    async def _fetch(self, peer: Peer, hashes: list[str]) -> None:
        try:
            answer = await self.send(
                peer, "/p2p/getblocks", {"hashes": hashes}, timeout=DOWNLOAD_TIMEOUT
            )
            if isinstance(answer, dict):
                await self._take_blocks(peer, set(hashes), answer)
        finally:
            peer.requests -= 1
            for block_hash in hashes:
                if self.in_flight.get(block_hash) is peer:
                    del self.in_flight[block_hash]
            self._wake.set()

    async def _take_blocks(self, peer: Peer, wanted: set[str], answer: dict[str, Any]) -> None:
        """Parse the batch, check its signatures across cores, then connect it in order."""
        raw = answer.get("blocks")
        if not isinstance(raw, list):
            return
        missing = answer.get("missing")
        if isinstance(missing, list):
            for block_hash in missing:
                if isinstance(block_hash, str) and block_hash in wanted:
                    peer.lacking(block_hash)
        blocks: list[Block] = []
        try:
            for item in raw:
                block = Block.from_json(item)
                if block.hash in wanted:
                    blocks.append(block)
        except ValidationError as exc:
            self.penalize(peer.node_id, exc)
        await self.signatures.check(blocks)
        for block in blocks:
            try:
                self.node.receive_block(block, peer.node_id, push=False)
            except ValidationError as exc:
                self.penalize(peer.node_id, exc)
                return
