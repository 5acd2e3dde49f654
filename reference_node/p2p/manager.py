"""The P2P layer: dial and handshake, address exchange, relay; sync and download via `sync.py`.

Four background tasks keep a node in the network whatever the links do:
  * connect: dial known addresses (through the dial map), retrying failures within a second; the
    --peers/--bootstrap addresses (the topology neighbours) are always dialled, learned addresses
    only while we have fewer than TARGET_PEERS (with --eclipse-defence off, neighbours get no
    reserved slot: a node whose slots are full dials and accepts nobody, see `_reserved`);
  * sync and download (`sync.ChainSync`): every second ask 2 of the peers we have not heard a
    block from lately for headers after our locator, so a node learns the heavier chain of the
    other side once a partition heals, even if every announcement was lost; fetch the missing
    bodies in batches spread over peers;
  * mempool: every few seconds queue again for each peer the mempool txs it has not been seen to
    have, so load lost on a lossy link still arrives.
New blocks are pushed at once (with retries). Transactions are announced, not pushed: per peer a
batch of txids (inv) at most once per TX_BATCH_INTERVAL with one exchange in flight; the peer
answers which it wants, and only those follow whole. A node asks one announcer at a time for a
tx (others are answered `pending` for TX_REQUEST_TIMEOUT), so each node takes each tx's body
about once, where pushing whole batches had it parse a copy from most of its peers.
A peer is dropped only after several failed messages in a row (see peers.MAX_FAILURES) and is
redialled with a backoff capped at a second; on every (re)connection both sides exchange headers
and the heavier side pushes its tip.

The manager is the node's `Relay` and a persona's `PeerList`; `reference_node.app` hands it the
persona (which decides what is relayed to whom), the HTTP client and the clock.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from ..behaviors.base import Persona
from ..core.block import Block
from ..core.encoding import raise_decode
from ..core.errors import InvalidBlock, InvalidTx, ValidationError
from ..core.tx import Transaction
from ..node import Node, Relay
from .client import PeerClient, PeerRefused, PeerUnreachable, encode
from .compact_relay import CompactRelay
from .hello import HandshakeRefused, make_hello, parse_hello
from .peers import Peer, PeerTable
from .sync import ChainSync
from .tasks import Tasks, guarded
from .verify import SignatureChecker

log = logging.getLogger("reference_node.p2p")

CONNECT_INTERVAL = 0.25
HANDSHAKE_TIMEOUT = 3.0
TARGET_PEERS = 8
"""Learned (non-seed) addresses are dialled only while we have fewer peers than this."""
BLOCK_PUSH_ATTEMPTS = 3
TX_BATCH_INTERVAL = 2.0
"""Per peer, at most one announcement of txs every 2 s, as Bitcoin Core trickles to outbound
peers. Each step from 0.5 s to 1 s to 2 s cut about a third of a dense network's peer messages;
the last cost about 5 ms of block propagation at p90 on 20 ms links (docs/performance.md,
"Simulation")."""
MAX_TX_BATCH = 500
MAX_TX_QUEUE = 5000
MEMPOOL_SYNC_INTERVAL = 3.0
MAX_ANCHORS = 2  # as Bitcoin Core: the last outbound peers we chose, kept across a restart
MAX_TX_INV = 1000
TX_REQUEST_TIMEOUT = 2.0
"""How long an announced tx we asked one peer for is `pending` to the other announcers."""
MAX_TX_REQUESTS = 20_000


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
        self.anchors = tuple(node.anchors()) if config.eclipse_defence else ()
        for address in self.anchors:
            self.table.learn(address)
        self.reserved: dict[str, None] = (
            dict.fromkeys((*config.peers, *config.bootstrap, *self.anchors))
            if config.eclipse_defence
            else {}
        )
        """The addresses that keep a slot of their own (`_reserved`), in the order given: dialled
        in that order whatever the hash seed, which a set's order is not."""
        self._dialled: list[str] = list(self.anchors)  # learned addresses we dialled, newest first
        self._dialing: set[str] = set()
        self.requested: dict[str, float] = {}
        """Txids we asked an announcer for, with when another may be asked (insertion-ordered)."""
        self.tasks = Tasks()
        self.signatures = SignatureChecker(node.verified, config.verify_workers)
        self.sync = ChainSync(
            node, self.table, self._send, self.penalize, self.tasks, self.signatures, monotonic
        )
        self.compact = CompactRelay(
            node,
            self.table,
            self._send,
            self.on_block,
            self.tasks,
            self.signatures,
            self.sync.heard,
        )

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self.tasks.spawn(self._connect_loop(), name="connect")
        self.tasks.spawn(self._mempool_loop(), name="mempool")
        self.sync.start()
        self.signatures.start()

    async def stop(self) -> None:
        await self.tasks.cancel_all()
        await self.client.close()
        self.signatures.close()

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

    # -- handshake and addresses -----------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        config = self.node.config
        return make_hello(self.node.chain, config.node_id, config.address, config.compact_blocks)

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
        peer.compact_blocks = parsed.compact_blocks
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
            neighbour = self._reserved(self.table.dial_for(peer.address))
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
        now = self.monotonic()
        if self.table.is_banned(peer.node_id, now) or self.table.is_banned(peer.address, now):
            return  # a ban holds both ways: dialling a banned peer must not bring it back
        peer.dial = dial
        fresh = peer.node_id not in self.table.peers
        if fresh:
            if len(self.table.peers) >= self.node.config.max_peers and not self._reserved(address):
                return
            log.info("peer %s connected (outbound via %s)", peer.node_id, dial)
        peer = self.table.connected(peer, via=address)
        if fresh and not seed:
            self._remember_anchor(address)
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
        self.sync.ask_headers(peer)
        tip = self.node.chain.tip
        if tip.height > 0 and tip.work > peer.work and tip.has_data:
            block = self.node.block_body(tip.hash)
            if block is not None and self.persona.relay_block(block, peer.node_id):
                self.tasks.spawn(self._send(peer, "/p2p/block", {"block": block.to_json()}))

    async def _connect_loop(self) -> None:
        while True:
            guarded(self._dial_due)
            await asyncio.sleep(CONNECT_INTERVAL)

    def _dial_due(self) -> None:
        """Dial what is due, reserved addresses first. A node whose ordinary slots are full
        looks at its reserved addresses only, not at every address it has heard of: this runs
        four times a second, and a node of a large network knows hundreds."""
        now = self.monotonic()
        room = min(TARGET_PEERS, self.node.config.max_peers) - len(self.table.peers)
        room -= sum(1 for a in self._dialing if not self._reserved(a))
        among = None
        if room <= 0:
            if not self.reserved:
                return  # nothing has a slot of its own
            among = self.reserved
        due = [a for a in self.table.due(now, among) if a.address not in self._dialing]
        due.sort(key=lambda a: (not self._reserved(a.address), not a.seed, a.next_try))
        for known in due:
            if not self._reserved(known.address):
                if room <= 0:
                    continue
                room -= 1
            known.next_try = now + HANDSHAKE_TIMEOUT
            self._dialing.add(known.address)
            self.tasks.spawn(self._connect(known.address))

    def _reserved(self, address: str) -> bool:
        """Does this address keep a slot of its own? The eclipse defence: addresses we chose
        ourselves (--peers/--bootstrap) are dialled and accepted whatever fills the other slots,
        so identities flooding us can never take all of them (Bitcoin Core keeps outbound slots
        for the same reason), and so are our anchors: the last learned addresses we dialled
        before a restart, which an attacker flooding us while we were down cannot take over
        (Bitcoin Core's anchors.dat). Off, a node full of attacker peers refuses its own
        neighbours."""
        return address in self.reserved

    def _remember_anchor(self, address: str) -> None:
        if not self.node.config.eclipse_defence or self._dialled[:1] == [address]:
            return
        self._dialled = [address, *(a for a in self._dialled if a != address)][:MAX_ANCHORS]
        self.node.keep_anchors(self._dialled)

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
        """Push a new block to the peers that have not pushed it to us (as Bitcoin Core
        announces a block only to a peer not known to have it): compact to those that take it,
        whole to the others, each form encoded once."""
        full: bytes | None = None
        compact: bytes | None = None
        for peer in list(self.table.peers.values()):
            if (
                peer.node_id == origin
                or block.hash in peer.known_blocks
                or not self.persona.relay_block(block, peer.node_id)
            ):
                continue
            if self.compact.wants_compact(peer):
                compact = compact or encode(self.compact.message(block))
                path, payload = "/p2p/cmpctblock", compact
                self.compact.counters.sent.inc()
            else:
                full = full or encode({"block": block.to_json()})
                path, payload = "/p2p/block", full
            self.tasks.spawn(self._send(peer, path, payload, attempts=BLOCK_PUSH_ATTEMPTS))

    def tip(self, block_hash: str) -> None:
        payload = {"blocks": [block_hash]}
        for peer in list(self.table.peers.values()):
            self.tasks.spawn(self._send(peer, "/p2p/inv", payload))

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
            self.tasks.spawn(self._flush_txs(peer))

    async def _flush_txs(self, peer: Peer) -> None:
        """Announce the peer's queued txs in batches and send it the ones it wants: at most one
        exchange in flight per peer and one per TX_BATCH_INTERVAL, so an idle link announces at
        once and a busy one batches."""
        try:
            while peer.tx_queue and self.table.peers.get(peer.node_id) is peer:
                wait = peer.last_tx_send + TX_BATCH_INTERVAL - self.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                batch = self._next_batch(peer)
                if not batch:
                    continue
                peer.last_tx_send = self.monotonic()
                answer = await self._send(
                    peer, "/p2p/inv", {"blocks": [], "txs": [t.txid for t in batch]}
                )
                if not isinstance(answer, dict):
                    continue  # lost: the mempool loop queues them again
                want, pending = _txids(answer.get("want")), _txids(answer.get("pending"))
                wanted = []
                for tx in batch:
                    if tx.txid in want:
                        wanted.append(tx)
                    elif tx.txid not in pending:
                        peer.knows(tx.txid)
                if wanted:
                    await self._push_txs(peer, wanted)
        finally:
            peer.tx_sending = False

    async def _push_txs(self, peer: Peer, txs: list[Transaction]) -> None:
        answer = await self._send(peer, "/p2p/tx", tx_batch(txs))
        if not isinstance(answer, dict):
            return  # lost: the mempool loop queues them again
        refused = _txids(answer.get("rejected"))
        for tx in txs:
            if tx.txid not in refused:
                peer.knows(tx.txid)

    def _next_batch(self, peer: Peer) -> list[Transaction]:
        """Take up to MAX_TX_BATCH txs off the peer's queue, dropping those it sent us while
        they waited: with every node a peer of most others, a tx reaches a peer from several
        sides within one batch interval."""
        batch: list[Transaction] = []
        taken: list[str] = []  # read from the front only: the queue may hold MAX_TX_QUEUE txs
        for txid, tx in peer.tx_queue.items():
            if len(batch) == MAX_TX_BATCH:
                break
            taken.append(txid)
            if txid not in peer.known_txs:
                batch.append(tx)
        for txid in taken:
            del peer.tx_queue[txid]
        return batch

    def missing_parent(self, block: Block, origin: str | None) -> None:
        peer = self.table.peers.get(origin or "")
        for target in [peer] if peer else list(self.table.peers.values()):
            self.sync.ask_headers(target)

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
        if peer is not None:
            peer.has_block(block.hash)
            if entry is not None:
                peer.height = max(peer.height, entry.height + 1)
                peer.best_known = block.hash
        try:
            self.node.receive_block(block, origin)
        except InvalidBlock as exc:
            self.penalize(origin, exc)
            raise
        if entry is not None:
            self.sync.heard(origin)

    def on_tx(self, tx: Transaction, origin: str | None) -> None:
        peer = self.table.peers.get(origin or "")
        if peer is not None:
            peer.knows(tx.txid)
        self.requested.pop(tx.txid, None)
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
            self.sync.ask_headers(peer)
        return len(unknown)

    def on_tx_inv(self, txids: Any, origin: str | None) -> tuple[list[str], list[str]]:
        """A tx announcement: (the txids we want from the announcer, those another announcer is
        sending us). The announcer has them all, so none will be queued back to it."""
        if not isinstance(txids, list) or len(txids) > MAX_TX_INV:
            raise_decode(f"inv.txs must be a list of at most {MAX_TX_INV} txids")
        peer = self.table.peers.get(origin or "")
        node, requested, now = self.node, self.requested, self.monotonic()
        wanted: list[str] = []
        pending: list[str] = []
        for txid in txids:
            if not isinstance(txid, str) or len(txid) != 64:
                continue
            if peer is not None:
                peer.knows(txid)
            if requested.get(txid, 0.0) > now:
                pending.append(txid)
                continue
            if node.holds_tx(txid):
                continue
            requested.pop(txid, None)  # re-inserted last: the oldest requests are dropped first
            requested[txid] = now + TX_REQUEST_TIMEOUT
            wanted.append(txid)
        while len(requested) > MAX_TX_REQUESTS:
            del requested[next(iter(requested))]
        return wanted, pending

    async def _mempool_loop(self) -> None:
        while True:
            await asyncio.sleep(MEMPOOL_SYNC_INTERVAL)
            guarded(self._requeue_mempool)

    def _requeue_mempool(self) -> None:
        """Queue for each peer the mempool txs it has not been seen to have (at most MAX_TX_INV):
        announcements or bodies lost on the way are offered again."""
        for peer in list(self.table.peers.values()):
            known, queued = peer.known_txs, peer.tx_queue
            unseen = [
                tx
                for txid, tx in self.node.mempool.txs.items()
                if txid not in known and txid not in queued
            ][:MAX_TX_INV]
            for tx in unseen:
                if self.persona.relay_tx(tx, peer.node_id):
                    self._queue_tx(peer, tx)


def _txids(items: Any) -> set[str]:
    """The txids of an answer's list (anything else in it is ignored)."""
    return {t for t in items if isinstance(t, str)} if isinstance(items, list) else set()


def tx_batch(txs: list[Transaction]) -> bytes:
    """A `/p2p/tx` body from each transaction's own encoding (`Transaction.encoded`), made once
    per transaction however many peers it is pushed to."""
    return ('{"txs":[' + ",".join(tx.encoded() for tx in txs) + "]}").encode()
