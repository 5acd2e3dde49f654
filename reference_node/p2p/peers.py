"""Peer bookkeeping: known addresses with retry backoff, connected peers, ban scores. No I/O.

Peers are identified by node id (learned in the handshake); addresses are what they advertise.
An address that fails is retried with a capped backoff, because network partitions heal and a
peer we gave up on would keep the network split.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from ..core.tx import Transaction

BAN_THRESHOLD = 100
BAN_SECONDS = 3600.0
MAX_ADDRESSES = 1000
RETRY_MIN = 0.25
RETRY_MAX = 1.0
"""Redial backoff cap: a healed link is found again within about a second."""
MAX_FAILURES = 6
"""Failure weight before a peer counts as disconnected (then redialled every RETRY_MAX at most).

A reset or a timeout weighs 1 (a lossy link loses single messages; dropping the peer for one would
churn), a refused connection weighs 3 (nothing listens: a partition, or the peer is down), and any
answer clears the count: so six resets in a row, or two refusals, disconnect.
"""
REFUSED_WEIGHT = 3
MAX_KNOWN_TXS = 50_000
MAX_KNOWN_BLOCKS = 64
MAX_SCORED = 10_000
"""Ban scores and bans kept at most. A caller names itself in a header, so every request can
come from a new id: without a bound, a flood of bad messages would grow these tables forever.
Past the bound, expired bans go first, then the oldest entries (an attacker can shed a ban by
rotating ids anyway; what a ban stops is an honest-looking peer that turned bad)."""


@dataclass(slots=True)
class Peer:
    node_id: str
    address: str
    """What the peer advertises (its identity on the network)."""
    dial: str
    """Where we send to reach it: the dial-map entry or the --peers address (a proxy)."""
    height: int = 0
    work: int = 0
    failures: int = 0
    requests: int = 0
    syncing: bool = False
    known_txs: dict[str, None] = field(default_factory=dict)
    """Txids this peer has (it sent them, or took them from us); insertion-ordered, bounded."""
    tx_queue: dict[str, Transaction] = field(default_factory=dict)
    """Transactions to push to this peer with the next batch (insertion-ordered, bounded)."""
    tx_sending: bool = False
    last_tx_send: float = 0.0
    best_known: str | None = None
    """The last block (or header) this peer sent us: its chain is that block's ancestry."""
    known_blocks: dict[str, None] = field(default_factory=dict)
    """The latest blocks this peer sent us (insertion-ordered, bounded): never pushed back to it."""
    lacks: set[str] = field(default_factory=set)
    """Blocks this peer answered it does not have (pruned, or another branch)."""
    compact_blocks: bool = False
    """Its handshake said it takes compact blocks (`/p2p/cmpctblock`)."""

    def lacking(self, block_hash: str) -> None:
        if len(self.lacks) > MAX_KNOWN_TXS:
            self.lacks.clear()
        self.lacks.add(block_hash)

    def knows(self, txid: str) -> None:
        known = self.known_txs
        known[txid] = None
        if len(known) > MAX_KNOWN_TXS:
            for old in list(known)[: MAX_KNOWN_TXS // 4]:
                del known[old]

    def has_block(self, block_hash: str) -> None:
        known = self.known_blocks
        known[block_hash] = None
        if len(known) > MAX_KNOWN_BLOCKS:
            del known[next(iter(known))]

    def describe(self) -> dict[str, str]:
        return {"node_id": self.node_id, "address": self.address}


@dataclass(slots=True)
class KnownAddress:
    address: str
    seed: bool = False
    """From --peers/--bootstrap: dialled as given, never forgotten."""
    node_id: str | None = None
    next_try: float = 0.0
    backoff: float = RETRY_MIN


class PeerTable:
    def __init__(self, own_id: str, own_address: str, dial_map: dict[str, str]) -> None:
        self.own_id = own_id
        self.own_address = own_address
        self.dial_map = dial_map
        self.peers: dict[str, Peer] = {}
        self.addresses: dict[str, KnownAddress] = {}
        self.scores: dict[str, int] = {}
        self.banned: dict[str, float] = {}

    def dial_for(self, address: str) -> str:
        return self.dial_map.get(address, address)

    def learn(self, address: str, seed: bool = False) -> None:
        """Remember an address to dial later (bounded; seeds always fit)."""
        if address == self.own_address or address in self.addresses:
            return
        if not seed and len(self.addresses) >= MAX_ADDRESSES:
            return
        self.addresses[address] = KnownAddress(address, seed=seed)

    def due(self, now: float, among: Collection[str] | None = None) -> list[KnownAddress]:
        """Addresses worth dialling now: not us, not banned, not already connected; only those
        `among` the given ones, when given."""
        connected = {p.address for p in self.peers.values()}
        if among is None:
            candidates: Iterable[KnownAddress] = self.addresses.values()
        else:
            candidates = [self.addresses[a] for a in among if a in self.addresses]
        return [
            a
            for a in candidates
            if a.next_try <= now
            and a.node_id != self.own_id
            and a.node_id not in self.peers
            and a.address not in connected
            and not self.is_banned(a.node_id or a.address, now)
        ]

    def dial_failed(self, address: str, now: float) -> None:
        known = self.addresses.get(address)
        if known is not None:
            known.next_try = now + known.backoff
            known.backoff = min(known.backoff * 2, RETRY_MAX)

    def connected(self, peer: Peer, via: str | None = None) -> Peer:
        """Record a handshaken peer; a seed address it came through stays its dial address."""
        existing = self.peers.get(peer.node_id)
        if existing is not None:
            existing.height, existing.work, existing.failures = peer.height, peer.work, 0
            existing.best_known = peer.best_known or existing.best_known
            existing.compact_blocks = peer.compact_blocks
            if via is not None and self.addresses.get(via, KnownAddress(via)).seed:
                existing.dial = via
            peer = existing
        else:
            self.peers[peer.node_id] = peer
        for address in {via, peer.address} - {None}:
            assert address is not None
            known = self.addresses.get(address)
            if known is not None:
                known.node_id, known.backoff = peer.node_id, RETRY_MIN
        return peer

    def failed(self, peer: Peer, now: float, refused: bool = False) -> bool:
        """Count a failed message; True only when this dropped a connected peer.

        A failure of a peer object already dropped (an old in-flight message) counts for nothing.
        """
        if self.peers.get(peer.node_id) is not peer:
            return False
        peer.failures += REFUSED_WEIGHT if refused else 1
        if peer.failures >= MAX_FAILURES:
            self.drop(peer, now)
            return True
        return False

    def drop(self, peer: Peer, now: float, retry_after: float = RETRY_MIN) -> None:
        if self.peers.get(peer.node_id) is peer:
            del self.peers[peer.node_id]
        for known in self.addresses.values():
            if known.node_id == peer.node_id:
                known.next_try = now + retry_after
        self.learn(peer.address)

    def penalize(self, node_id: str, score: int, now: float) -> bool:
        """Add to a peer's ban score; True when this banned it."""
        if score <= 0 or node_id == self.own_id:
            return False
        if node_id not in self.scores and len(self.scores) >= MAX_SCORED:
            self._forget(now)
        self.scores[node_id] = self.scores.get(node_id, 0) + score
        if self.scores[node_id] < BAN_THRESHOLD:
            return False
        self.banned[node_id] = now + BAN_SECONDS
        peer = self.peers.get(node_id)
        if peer is not None:
            self.banned[peer.address] = now + BAN_SECONDS
            self.drop(peer, now)
        return True

    def _forget(self, now: float) -> None:
        """Make room in the score and ban tables: expired bans first, then the oldest entries,
        down to 3/4 of the bound, so a flood pays this scan once per MAX_SCORED/4 new ids."""
        for key, until in list(self.banned.items()):
            if until <= now:
                del self.banned[key]
                self.scores.pop(key, None)
        for table in (self.scores, self.banned):
            for key in list(itertools.islice(table, max(0, len(table) - MAX_SCORED * 3 // 4))):
                del table[key]

    def is_banned(self, key: str, now: float) -> bool:
        until = self.banned.get(key)
        return until is not None and until > now
