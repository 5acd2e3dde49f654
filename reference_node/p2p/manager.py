"""The P2P loops: dial and handshake, address exchange, relay, headers-first sync, block download.

Four background tasks keep a node in the network whatever the links do:
  * connect: dial known addresses (through the dial map), retrying failures within a second; the
    --peers/--bootstrap addresses (the topology neighbours) are always dialled, learned addresses
    only while we have fewer than TARGET_PEERS;
  * sync: every second ask each peer for headers after our locator, so a node learns the heavier
    chain of the other side once a partition heals, even if every announcement was lost;
  * download: fetch missing bodies of the best-header chain, batches spread over peers; a failed
    batch goes to another peer;
  * mempool: every few seconds announce to each peer the txids it may lack (inv); it answers with
    those it wants, which go out with its next tx batch, so load lost on a lossy link still arrives.
New blocks are pushed whole at once (with retries); transactions go out in per-peer batches, at
most one request in flight and one per TX_BATCH_INTERVAL per peer, so load costs few requests.
A peer is dropped only after several failed messages in a row (see peers.MAX_FAILURES) and is
redialled with a backoff capped at a second; on every (re)connection both sides exchange headers
and the heavier side pushes its tip.

The manager is the node's `Relay` and a persona's `PeerList`; `reference_node.app` hands it the
persona (which decides what is relayed to whom), the HTTP client and the clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from ..behaviors.base import Persona
from ..core.block import Block, Header
from ..core.chain import Entry
from ..core.encoding import raise_decode
from ..core.errors import InvalidBlock, InvalidTx, ValidationError
from ..core.tx import Transaction
from ..node import Node, Relay
from .client import PeerClient, PeerRefused, PeerUnreachable
from .hello import HandshakeRefused, make_hello, parse_hello
from .peers import Peer, PeerTable

log = logging.getLogger("reference_node.p2p")

MAX_HEADERS = 2000
BLOCK_BATCH = 32
REQUESTS_PER_PEER = 3
DOWNLOAD_WINDOW = 1024
SYNC_INTERVAL = 1.0
SYNC_PEERS_PER_ROUND = 8
"""Periodic getheaders go to at most this many peers a second (the least recently asked)."""
CONNECT_INTERVAL = 0.25
HANDSHAKE_TIMEOUT = 3.0
TARGET_PEERS = 8
"""Learned (non-seed) addresses are dialled only while we have fewer peers than this."""
DOWNLOAD_TIMEOUT = 10.0
BLOCK_PUSH_ATTEMPTS = 3
UNCONNECTED_HEADERS_PENALTY = 20
TX_BATCH_INTERVAL = 0.5
MAX_TX_BATCH = 500
MAX_TX_QUEUE = 5000
MEMPOOL_SYNC_INTERVAL = 3.0
MAX_TX_INV = 1000


class PeerManager(Relay):
    def __init__(
        self,
        node: Node,
        persona: Persona,
        client: PeerClient,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.node = node
        self.persona = persona
        self.client = client
        self.monotonic = monotonic
        config = node.config
        self.table = PeerTable(config.node_id, config.address, config.dial_map)
        for address in (*config.peers, *config.bootstrap):
            self.table.learn(address, seed=True)
        self.in_flight: dict[str, Peer] = {}
        self.seeds = frozenset((*config.peers, *config.bootstrap))
        self._dialing: set[str] = set()
        self._last_sync: dict[str, float] = {}
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._loops = [
            asyncio.create_task(self._connect_loop(), name="connect"),
            asyncio.create_task(self._sync_loop(), name="sync"),
            asyncio.create_task(self._download_loop(), name="download"),
            asyncio.create_task(self._mempool_loop(), name="mempool"),
        ]

    async def stop(self) -> None:
        for task in [*self._loops, *self._tasks]:
            task.cancel()
        for task in [*self._loops, *self._tasks]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.client.close()

    # -- what a persona sees (behaviors.base.PeerList) -------------------------------------

    def connected(self) -> Sequence[Peer]:
        return list(self.table.peers.values())

    def seed_dials(self) -> list[str]:
        return [a.address for a in self.table.addresses.values() if a.seed]

    def dial_of(self, node_id: str) -> str | None:
        peer = self.table.peers.get(node_id)
        if peer is not None:
            return peer.dial
        for known in self.table.addresses.values():
            if known.node_id == node_id:
                return known.address if known.seed else self.table.dial_for(known.address)
        return None

    def describe_peers(self) -> list[dict[str, str]]:
        """The `peers` of `/status`."""
        return [p.describe() for p in self.table.peers.values()]

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- handshake and addresses -----------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        return make_hello(self.node.chain, self.node.config.node_id, self.node.config.address)

    def _parse_hello(self, hello: Any) -> Peer:
        parsed = parse_hello(hello, self.node.chain.genesis.hash)
        peer = Peer(
            parsed.node_id,
            parsed.address,
            self.table.dial_for(parsed.address),
            parsed.height,
            parsed.total_work,
        )
        peer.best_known = parsed.tip
        return peer

    def accept_handshake(self, hello: Any) -> dict[str, Any]:
        """An inbound handshake: register the caller (dialled back via the dial map) and answer."""
        peer = self._parse_hello(hello)
        now = self.monotonic()
        if peer.node_id == self.table.own_id:
            raise HandshakeRefused(409, "that is my own node id")
        if self.table.is_banned(peer.node_id, now) or self.table.is_banned(peer.address, now):
            raise HandshakeRefused(403, "banned")
        fresh = peer.node_id not in self.table.peers
        if fresh:
            neighbour = self.table.dial_for(peer.address) in self.seeds
            if len(self.table.peers) >= self.node.config.max_peers and not neighbour:
                raise HandshakeRefused(429, "peer slots full")
            log.info("peer %s connected (inbound, %s)", peer.node_id, peer.address)
        self.table.learn(peer.address)
        self._on_connected(self.table.connected(peer))
        return self.hello()

    def addresses(self) -> list[str]:
        return [self.node.config.address, *(p.address for p in self.table.peers.values())]

    def learn_addresses(self, addrs: Any) -> int:
        if not isinstance(addrs, list) or len(addrs) > 1000:
            raise_decode("addrs must be a list of at most 1000 'host:port' strings")
        count = 0
        for address in addrs:
            if isinstance(address, str) and 0 < len(address) <= 256 and ":" in address:
                self.table.learn(address)
                count += 1
        return count

    async def _connect(self, address: str) -> None:
        try:
            await self._dial(address)
        finally:
            self._dialing.discard(address)

    async def _dial(self, address: str) -> None:
        seed = self.table.addresses[address].seed
        dial = address if seed else self.table.dial_for(address)
        try:
            answer = await self.client.call(
                dial, "/p2p/handshake", self.hello(), timeout=HANDSHAKE_TIMEOUT
            )
            peer = self._parse_hello(answer)
        except (PeerUnreachable, PeerRefused, ValidationError, HandshakeRefused) as exc:
            log.debug("dial %s (%s) failed: %s", address, dial, exc)
            self.table.dial_failed(address, self.monotonic())
            return
        known = self.table.addresses[address]
        known.node_id = peer.node_id
        if peer.node_id == self.table.own_id:
            return
        peer.dial = dial
        fresh = peer.node_id not in self.table.peers
        if fresh:
            if len(self.table.peers) >= self.node.config.max_peers and not seed:
                return
            log.info("peer %s connected (outbound via %s)", peer.node_id, dial)
        peer = self.table.connected(peer, via=address)
        self._on_connected(peer)
        try:
            addrs = await self.client.call(peer.dial, "/p2p/addr", timeout=HANDSHAKE_TIMEOUT)
            if isinstance(addrs, dict):
                self.learn_addresses(addrs.get("addrs"))
        except (PeerUnreachable, PeerRefused, ValidationError):
            pass

    def _on_connected(self, peer: Peer) -> None:
        """A handshake either way: exchange headers now, and push our tip if we are heavier."""
        self._peers_changed()
        self._spawn(self._sync_headers(peer))
        tip = self.node.chain.tip
        if tip.height > 0 and tip.work > peer.work and tip.has_data:
            block = self.node.block_body(tip.hash)
            if block is not None and self.persona.relay_block(block, peer.node_id):
                self._spawn(self._send(peer, "/p2p/block", {"block": block.to_json()}))

    def _guarded(self, step: Callable[[], None]) -> None:
        """Run one step of a background loop; a bug must not silently kill the loop."""
        try:
            step()
        except Exception:
            log.exception("%s failed", getattr(step, "__name__", "a loop step"))

    async def _connect_loop(self) -> None:
        while True:
            self._guarded(self._dial_due)
            await asyncio.sleep(CONNECT_INTERVAL)

    def _dial_due(self) -> None:
        now = self.monotonic()
        due = [a for a in self.table.due(now) if a.address not in self._dialing]
        due.sort(key=lambda a: (not a.seed, a.next_try))
        room = min(TARGET_PEERS, self.node.config.max_peers) - len(self.table.peers)
        room -= sum(1 for a in self._dialing if not self.table.addresses[a].seed)
        for known in due:
            if not known.seed:
                if room <= 0:
                    continue
                room -= 1
            known.next_try = now + HANDSHAKE_TIMEOUT
            self._dialing.add(known.address)
            self._spawn(self._connect(known.address))

    def _peers_changed(self) -> None:
        self.node.metrics.peers.set(len(self.table.peers))

    # -- sending ---------------------------------------------------------------------------

    async def _send(
        self, peer: Peer, path: str, payload: Any, *, attempts: int = 1, timeout: float = 5.0
    ) -> Any:
        """Send to a peer; None on failure, which counts toward dropping it."""
        try:
            answer = await self.client.call(
                peer.dial, path, payload, attempts=attempts, timeout=timeout
            )
        except PeerUnreachable as exc:
            log.debug("%s %s failed: %s", peer.node_id, path, exc)
            if self.table.failed(peer, self.monotonic(), exc.refused):
                reason = "refused" if exc.refused else "unreachable"
                log.info("peer %s disconnected (%s)", peer.node_id, reason)
                self._peers_changed()
            return None
        except PeerRefused as exc:
            log.debug("%s refused %s: %s", peer.node_id, path, exc)
            if exc.status in (403, 409, 429) and self.table.peers.get(peer.node_id) is peer:
                log.info("peer %s disconnected (refused us: %s)", peer.node_id, exc.status)
                self.table.drop(peer, self.monotonic(), retry_after=5.0)
                self._peers_changed()
            return None
        peer.failures = 0
        return answer

    def block(self, block: Block, origin: str | None) -> None:
        payload = {"block": block.to_json()}
        for peer in list(self.table.peers.values()):
            if peer.node_id != origin and self.persona.relay_block(block, peer.node_id):
                self._spawn(self._send(peer, "/p2p/block", payload, attempts=BLOCK_PUSH_ATTEMPTS))

    def tip(self, block_hash: str) -> None:
        payload = {"blocks": [block_hash]}
        for peer in list(self.table.peers.values()):
            self._spawn(self._send(peer, "/p2p/inv", payload))

    def tx(self, tx: Transaction, origin: str | None) -> None:
        for peer in list(self.table.peers.values()):
            if peer.node_id == origin or tx.txid in peer.known_txs:
                continue
            if self.persona.relay_tx(tx, peer.node_id):
                self._queue_tx(peer, tx)

    def _queue_tx(self, peer: Peer, tx: Transaction) -> None:
        queue = peer.tx_queue
        queue[tx.txid] = tx
        if len(queue) > MAX_TX_QUEUE:
            del queue[next(iter(queue))]
        if not peer.tx_sending:
            peer.tx_sending = True
            self._spawn(self._flush_txs(peer))

    async def _flush_txs(self, peer: Peer) -> None:
        """Send the peer's queued txs in batches: at most one request in flight per peer and one
        per TX_BATCH_INTERVAL, so an idle link sends at once and a busy one batches."""
        try:
            while peer.tx_queue and self.table.peers.get(peer.node_id) is peer:
                wait = peer.last_tx_send + TX_BATCH_INTERVAL - self.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                batch = list(peer.tx_queue.values())[:MAX_TX_BATCH]
                for tx in batch:
                    del peer.tx_queue[tx.txid]
                peer.last_tx_send = self.monotonic()
                answer = await self._send(peer, "/p2p/tx", {"txs": [t.to_json() for t in batch]})
                if not isinstance(answer, dict):
                    continue  # lost: the mempool announcement offers them again
                rejected = answer.get("rejected")
                refused = set(rejected) if isinstance(rejected, list) else set()
                for tx in batch:
                    if tx.txid not in refused:
                        peer.knows(tx.txid)
        finally:
            peer.tx_sending = False

    def missing_parent(self, block: Block, origin: str | None) -> None:
        peer = self.table.peers.get(origin or "")
        for target in [peer] if peer else list(self.table.peers.values()):
            self._spawn(self._sync_headers(target))

    # -- receiving -------------------------------------------------------------------------

    def penalize(self, node_id: str | None, error: ValidationError) -> None:
        if node_id and self.table.penalize(node_id, error.penalty, self.monotonic()):
            log.warning("peer %s banned: %s", node_id, error)
            self._peers_changed()

    def is_banned(self, node_id: str | None) -> bool:
        return bool(node_id) and self.table.is_banned(node_id or "", self.monotonic())

    def on_block(self, block: Block, origin: str | None) -> None:
        peer = self.table.peers.get(origin or "")
        entry = self.node.chain.get(block.header.prev)
        if peer is not None and entry is not None:
            peer.height = max(peer.height, entry.height + 1)
            peer.best_known = block.hash
        try:
            self.node.receive_block(block, origin)
        except InvalidBlock as exc:
            self.penalize(origin, exc)
            raise

    def on_tx(self, tx: Transaction, origin: str | None) -> None:
        peer = self.table.peers.get(origin or "")
        if peer is not None:
            peer.knows(tx.txid)
        try:
            self.node.submit_tx(tx, origin)
        except InvalidTx as exc:
            self.penalize(origin, exc)
            raise

    def on_inv(self, hashes: Any, origin: str | None) -> int:
        if not isinstance(hashes, list) or len(hashes) > 1000:
            raise_decode("inv.blocks must be a list of at most 1000 block hashes")
        unknown = [h for h in hashes if isinstance(h, str) and self.node.chain.get(h) is None]
        peer = self.table.peers.get(origin or "")
        if unknown and peer is not None:
            self._spawn(self._sync_headers(peer))
        return len(unknown)

    def on_tx_inv(self, txids: Any, origin: str | None) -> list[str]:
        """A mempool announcement: the txids we lack (the peer then sends them)."""
        if not isinstance(txids, list) or len(txids) > MAX_TX_INV:
            raise_decode(f"inv.txs must be a list of at most {MAX_TX_INV} txids")
        peer = self.table.peers.get(origin or "")
        node = self.node
        wanted = []
        for txid in txids:
            if not isinstance(txid, str) or len(txid) != 64:
                continue
            if txid in node.mempool.txs or node.store.tx_location(txid) is not None:
                if peer is not None:
                    peer.knows(txid)
                continue
            wanted.append(txid)
        return wanted

    async def _mempool_loop(self) -> None:
        while True:
            await asyncio.sleep(MEMPOOL_SYNC_INTERVAL)
            self._guarded(self._announce_mempool)

    def _announce_mempool(self) -> None:
        for peer in list(self.table.peers.values()):
            txids = [
                txid
                for txid in self.node.mempool.txs
                if txid not in peer.known_txs and txid not in peer.tx_queue
            ][:MAX_TX_INV]
            if txids:
                self._spawn(self._announce_txs(peer, txids))

    async def _announce_txs(self, peer: Peer, txids: list[str]) -> None:
        answer = await self._send(peer, "/p2p/inv", {"blocks": [], "txs": txids})
        if not isinstance(answer, dict) or not isinstance(answer.get("want"), list):
            return
        wanted = {w for w in answer["want"] if isinstance(w, str)}
        for txid in txids:
            tx = self.node.mempool.txs.get(txid)
            if txid not in wanted:
                peer.knows(txid)
            elif tx is not None and self.persona.relay_tx(tx, peer.node_id):
                self._queue_tx(peer, tx)

    # -- headers-first sync ----------------------------------------------------------------

    async def _sync_loop(self) -> None:
        while True:
            await asyncio.sleep(SYNC_INTERVAL)
            self._guarded(self._sync_some)

    def _sync_some(self) -> None:
        idle = [p for p in self.table.peers.values() if not p.syncing]
        idle.sort(key=lambda p: self._last_sync.get(p.node_id, 0.0))
        for peer in idle[:SYNC_PEERS_PER_ROUND]:
            self._spawn(self._sync_headers(peer))

    async def _sync_headers(self, peer: Peer) -> None:
        """Ask `peer` for headers after our locator until it has no more (bounded rounds)."""
        if peer.syncing:
            return
        peer.syncing = True
        self._last_sync[peer.node_id] = self.monotonic()
        try:
            for _ in range(1000):
                answer = await self._send(
                    peer,
                    "/p2p/getheaders",
                    {"locator": self.node.chain.locator(), "count": MAX_HEADERS},
                )
                if not isinstance(answer, dict) or not self._take_headers(peer, answer):
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
            self._guarded(self._schedule_downloads)

    def _schedule_downloads(self) -> None:
        chain = self.node.chain
        todo = [
            e
            for e in chain.missing_blocks(DOWNLOAD_WINDOW, DOWNLOAD_WINDOW)
            if e.hash not in self.in_flight
        ]
        peers = sorted(self.table.peers.values(), key=lambda p: p.requests)
        while todo and peers:
            progress = False
            for peer in peers:
                if not todo:  # an earlier peer took the last blocks
                    break
                if peer.requests >= REQUESTS_PER_PEER:
                    continue
                has = self._has(peer, todo[0].height)
                batch = [e.hash for e in todo if has(e) and e.hash not in peer.lacks]
                batch = batch[:BLOCK_BATCH]
                if not batch:
                    continue
                taken = set(batch)
                todo = [e for e in todo if e.hash not in taken]
                for block_hash in batch:
                    self.in_flight[block_hash] = peer
                peer.requests += 1
                self._spawn(self._fetch(peer, batch))
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
            answer = await self._send(
                peer, "/p2p/getblocks", {"hashes": hashes}, timeout=DOWNLOAD_TIMEOUT
            )
            if isinstance(answer, dict):
                self._take_blocks(peer, set(hashes), answer)
        finally:
            peer.requests -= 1
            for block_hash in hashes:
                if self.in_flight.get(block_hash) is peer:
                    del self.in_flight[block_hash]
            self._wake.set()

    def _take_blocks(self, peer: Peer, wanted: set[str], answer: dict[str, Any]) -> None:
        raw = answer.get("blocks")
        if not isinstance(raw, list):
            return
        missing = answer.get("missing")
        if isinstance(missing, list):
            for block_hash in missing:
                if isinstance(block_hash, str) and block_hash in wanted:
                    peer.lacking(block_hash)
        for item in raw:
            try:
                block = Block.from_json(item)
                if block.hash not in wanted:
                    continue
                self.node.receive_block(block, peer.node_id, push=False)
            except ValidationError as exc:
                self.penalize(peer.node_id, exc)
                return
