"""The P2P loops: dial and handshake, address exchange, relay, headers-first sync, block download.

Three background tasks keep a node in the network whatever the links do:
  * connect: dial known addresses (through the dial map) until max peers, retrying failures;
  * sync: every second ask each peer for headers after our locator, so a node learns the heavier
    chain of the other side once a partition heals, even if every announcement was lost;
  * download: fetch missing bodies of the best-header chain, batches spread over peers; a peer that
    stalls is dropped and its batch goes to another.
Pushes (new blocks, txs, tip announcements) are fire-and-forget tasks with one retry.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Coroutine
from typing import Any

from .. import __version__
from ..core.block import Block, Header
from ..core.encoding import raise_decode
from ..core.errors import InvalidBlock, InvalidTx, ValidationError
from ..core.tx import Transaction
from ..node import Node, Relay
from .client import PeerClient, PeerRefused, PeerUnreachable
from .peers import Peer, PeerTable

log = logging.getLogger("reference_node.p2p")

PROTOCOL_VERSION = 1
MAX_HEADERS = 2000
BLOCK_BATCH = 32
REQUESTS_PER_PEER = 3
DOWNLOAD_WINDOW = 1024
SYNC_INTERVAL = 1.0
CONNECT_INTERVAL = 0.5
DOWNLOAD_TIMEOUT = 10.0
UNCONNECTED_HEADERS_PENALTY = 20


class HandshakeRefused(Exception):
    """An inbound handshake we decline; `status` is the HTTP code to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class PeerManager(Relay):
    def __init__(self, node: Node) -> None:
        self.node = node
        config = node.config
        self.table = PeerTable(config.node_id, config.address, config.dial_map)
        for address in (*config.peers, *config.bootstrap):
            self.table.learn(address, seed=True)
        self.client = PeerClient(node.metrics, config.node_id, config.address)
        self.in_flight: dict[str, Peer] = {}
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loops: list[asyncio.Task[None]] = []
        node.relay = self

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._loops = [
            asyncio.create_task(self._connect_loop(), name="connect"),
            asyncio.create_task(self._sync_loop(), name="sync"),
            asyncio.create_task(self._download_loop(), name="download"),
        ]

    async def stop(self) -> None:
        for task in [*self._loops, *self._tasks]:
            task.cancel()
        for task in [*self._loops, *self._tasks]:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await self.client.close()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- handshake and addresses -----------------------------------------------------------

    def hello(self) -> dict[str, Any]:
        chain = self.node.chain
        return {
            "version": PROTOCOL_VERSION,
            "software": __version__,
            "node_id": self.node.config.node_id,
            "genesis": chain.genesis.hash,
            "height": chain.height,
            "total_work": chain.tip.work,
            "best_header_height": chain.best_header.height,
            "address": self.node.config.address,
        }

    def _parse_hello(self, hello: Any) -> Peer:
        if not isinstance(hello, dict):
            raise_decode("handshake must be a JSON object")
        for key, kind in (("node_id", str), ("genesis", str), ("address", str)):
            if not isinstance(hello.get(key), kind) or not 0 < len(hello[key]) <= 256:
                raise_decode(f"handshake.{key} must be a non-empty string")
        for key in ("version", "height", "total_work"):
            value = hello.get(key)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise_decode(f"handshake.{key} must be a non-negative integer")
        if hello["version"] != PROTOCOL_VERSION:
            raise HandshakeRefused(
                400, f"protocol version {hello['version']} != {PROTOCOL_VERSION}"
            )
        if hello["genesis"] != self.node.chain.genesis.hash:
            raise HandshakeRefused(
                400,
                f"different network: genesis {hello['genesis']} != {self.node.chain.genesis.hash}",
            )
        address = hello["address"]
        return Peer(
            hello["node_id"],
            address,
            self.table.dial_for(address),
            hello["height"],
            hello["total_work"],
        )

    def accept_handshake(self, hello: Any) -> dict[str, Any]:
        """An inbound handshake: register the caller (dialled back via the dial map) and answer."""
        peer = self._parse_hello(hello)
        now = time.monotonic()
        if peer.node_id == self.table.own_id:
            raise HandshakeRefused(409, "that is my own node id")
        if self.table.is_banned(peer.node_id, now) or self.table.is_banned(peer.address, now):
            raise HandshakeRefused(403, "banned")
        if peer.node_id not in self.table.peers:
            if len(self.table.peers) >= self.node.config.max_peers:
                raise HandshakeRefused(429, "peer slots full")
            log.info("peer %s connected (inbound, %s)", peer.node_id, peer.address)
        self.table.learn(peer.address)
        self.table.connected(peer)
        self._peers_changed()
        self._spawn(self._sync_headers(self.table.peers[peer.node_id]))
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
        dial = address if self.table.addresses[address].seed else self.table.dial_for(address)
        now = time.monotonic()
        try:
            answer = await self.client.call(dial, "/p2p/handshake", self.hello(), timeout=3.0)
            peer = self._parse_hello(answer)
        except (PeerUnreachable, PeerRefused, ValidationError, HandshakeRefused) as exc:
            log.debug("dial %s (%s) failed: %s", address, dial, exc)
            self.table.dial_failed(address, now)
            return
        known = self.table.addresses[address]
        known.node_id = peer.node_id
        if peer.node_id == self.table.own_id:
            return
        peer.dial = dial
        if peer.node_id not in self.table.peers:
            if len(self.table.peers) >= self.node.config.max_peers:
                return
            log.info("peer %s connected (outbound via %s)", peer.node_id, dial)
        peer = self.table.connected(peer, via=address)
        self._peers_changed()
        try:
            addrs = await self.client.call(peer.dial, "/p2p/addr", timeout=3.0)
            if isinstance(addrs, dict):
                self.learn_addresses(addrs.get("addrs"))
        except (PeerUnreachable, PeerRefused, ValidationError):
            pass
        await self._sync_headers(peer)

    async def _connect_loop(self) -> None:
        while True:
            room = self.node.config.max_peers - len(self.table.peers)
            if room > 0:
                due = self.table.due(time.monotonic())
                due.sort(key=lambda a: (not a.seed, a.next_try))
                for known in due[:room]:
                    known.next_try = time.monotonic() + 1.0
                await asyncio.gather(*(self._connect(k.address) for k in due[:room]))
            await asyncio.sleep(CONNECT_INTERVAL)

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
            if self.table.failed(peer, time.monotonic()):
                log.info("peer %s disconnected (unreachable)", peer.node_id)
                self._peers_changed()
            return None
        except PeerRefused as exc:
            log.debug("%s refused %s: %s", peer.node_id, path, exc)
            if exc.status in (403, 409, 429):
                self.table.drop(peer, time.monotonic(), retry_after=5.0)
                self._peers_changed()
            return None
        peer.failures = 0
        return answer

    def block(self, block: Block, origin: str | None) -> None:
        payload = {"block": block.to_json()}
        for peer in list(self.table.peers.values()):
            if peer.node_id != origin and self.node.persona.relay_block(block, peer.node_id):
                self._spawn(self._send(peer, "/p2p/block", payload, attempts=2))

    def tip(self, block_hash: str) -> None:
        payload = {"blocks": [block_hash]}
        for peer in list(self.table.peers.values()):
            self._spawn(self._send(peer, "/p2p/inv", payload))

    def tx(self, tx: Transaction, origin: str | None) -> None:
        payload = {"tx": tx.to_json()}
        for peer in list(self.table.peers.values()):
            if peer.node_id != origin and self.node.persona.relay_tx(tx, peer.node_id):
                self._spawn(self._send(peer, "/p2p/tx", payload, attempts=2))

    def missing_parent(self, block: Block, origin: str | None) -> None:
        peer = self.table.peers.get(origin or "")
        for target in [peer] if peer else list(self.table.peers.values()):
            self._spawn(self._sync_headers(target))

    # -- receiving -------------------------------------------------------------------------

    def penalize(self, node_id: str | None, error: ValidationError) -> None:
        if node_id and self.table.penalize(node_id, error.penalty, time.monotonic()):
            log.warning("peer %s banned: %s", node_id, error)
            self._peers_changed()

    def is_banned(self, node_id: str | None) -> bool:
        return bool(node_id) and self.table.is_banned(node_id or "", time.monotonic())

    def on_block(self, block: Block, origin: str | None) -> None:
        peer = self.table.peers.get(origin or "")
        entry = self.node.chain.get(block.header.prev)
        if peer is not None and entry is not None:
            peer.height = max(peer.height, entry.height + 1)
        try:
            self.node.receive_block(block, origin)
        except InvalidBlock as exc:
            self.penalize(origin, exc)
            raise

    def on_tx(self, tx: Transaction, origin: str | None) -> None:
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

    # -- headers-first sync ----------------------------------------------------------------

    async def _sync_loop(self) -> None:
        while True:
            await asyncio.sleep(SYNC_INTERVAL)
            for peer in list(self.table.peers.values()):
                if not peer.syncing:
                    self._spawn(self._sync_headers(peer))

    async def _sync_headers(self, peer: Peer) -> None:
        """Ask `peer` for headers after our locator until it has no more (bounded rounds)."""
        if peer.syncing:
            return
        peer.syncing = True
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
        self._wake.set()
        return len(headers) == MAX_HEADERS

    # -- block download --------------------------------------------------------------------

    async def _download_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 0.5)
            self._wake.clear()
            self._schedule_downloads()

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
                if peer.requests >= REQUESTS_PER_PEER:
                    continue
                batch = [e.hash for e in todo if e.height <= peer.height][:BLOCK_BATCH]
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

    async def _fetch(self, peer: Peer, hashes: list[str]) -> None:
        try:
            answer = await self._send(
                peer, "/p2p/getblocks", {"hashes": hashes}, timeout=DOWNLOAD_TIMEOUT
            )
            if answer is None and peer.node_id in self.table.peers:
                log.info("peer %s stalled on a block download; dropped", peer.node_id)
                self.table.drop(peer, time.monotonic())
                self._peers_changed()
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
        for item in raw:
            try:
                block = Block.from_json(item)
                if block.hash not in wanted:
                    continue
                self.node.receive_block(block, peer.node_id, push=False)
            except ValidationError as exc:
                self.penalize(peer.node_id, exc)
                return
