"""Compact block relay over HTTP: what a node sends and does with `/p2p/cmpctblock`.

  sender                                  receiver
  POST /p2p/cmpctblock {header, ids} -->  rebuild from the mempool; all there: take the block
                                    <--  {"accepted", "missing": n}
        (only when n > 0, receiver to sender)
  POST /p2p/getblocktxn {hash, indexes} <-- the missing slots
        {"txs": [...]}                  -->  complete, check the merkle root, take the block
  any failure (collision, lost message, wrong txs) --> POST /p2p/getblocks [hash], the full block

A peer gets compact blocks only when its handshake said `compact_blocks: true`, so nodes without
them (or started with `--no-compact-blocks`) keep receiving full blocks. Every message is plain
HTTP, so Toxiproxy's faults hit it like any other. A compact block's header must carry valid
proof of work before the node spends a mempool scan on it, and malformed messages cost the sender
ban score like a malformed full block.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from prometheus_client import Counter

from ..core.block import Block, Header
from ..core.encoding import expect_object, get_hex, get_int, raise_decode
from ..core.errors import InvalidBlock, ValidationError
from ..core.tx import Transaction
from ..node import Node
from .compact import (
    COMPACT_FIELDS,
    MAX_COMPACT_TXS,
    CompactBlock,
    CompactFailed,
    PartialBlock,
    rebuild,
)
from .peers import Peer, PeerTable
from .tasks import Tasks
from .verify import SignatureChecker

log = logging.getLogger("reference_node.p2p")

RECENT_SENT_BLOCKS = 4
Send = Callable[..., Awaitable[Any]]
TakeBlock = Callable[[Block, str | None], None]


class CompactCounters:
    """`/metrics` counters of compact relay, registered in the node's own registry."""

    def __init__(self, node: Node) -> None:
        registry = node.metrics.registry
        self.received = Counter(
            "chaosnet_compact_blocks", "Compact blocks received and rebuilt", registry=registry
        )
        self.missing_txs = Counter(
            "chaosnet_compact_block_missing_txs",
            "Transactions a compact block named that the mempool lacked (fetched by getblocktxn)",
            registry=registry,
        )
        self.fallbacks = Counter(
            "chaosnet_compact_block_fallbacks",
            "Compact blocks that could not be rebuilt, so the full block was fetched",
            registry=registry,
        )
        self.sent = Counter(
            "chaosnet_compact_blocks_sent", "Compact blocks pushed to peers", registry=registry
        )


class CompactRelay:
    def __init__(
        self,
        node: Node,
        table: PeerTable,
        send: Send,
        take_block: TakeBlock,
        tasks: Tasks,
        signatures: SignatureChecker,
        heard: Callable[[str | None], None],
    ) -> None:
        self.node = node
        self.heard = heard
        """Told of a peer that pushed a block we hold (`ChainSync.heard`)."""
        self.table = table
        self.send = send
        self.take_block = take_block
        self.tasks = tasks
        self.signatures = signatures
        self.sent_blocks: dict[str, Block] = {}
        """The last RECENT_SENT_BLOCKS blocks we pushed compact, oldest first."""
        self.counters = CompactCounters(node)
        self._rebuilding: set[str] = set()

    @property
    def enabled(self) -> bool:
        return self.node.config.compact_blocks

    def wants_compact(self, peer: Peer) -> bool:
        return self.enabled and peer.compact_blocks

    def message(self, block: Block) -> dict[str, Any]:
        """The compact form of a block we are about to push; the block is kept in memory for
        the getblocktxn requests it brings, which would otherwise read and parse the whole
        block back from the store (hundreds of txs) to answer a few."""
        self.sent_blocks[block.hash] = block
        while len(self.sent_blocks) > RECENT_SENT_BLOCKS:
            del self.sent_blocks[next(iter(self.sent_blocks))]
        return CompactBlock.of(block).to_json()

    # -- receiving ---------------------------------------------------------------------------

    def parse(self, raw: Any, origin: str | None) -> CompactBlock | None:
        """A wire compact block whose header has our proof of work (checked before any mempool
        scan is spent on it), or None for one we hold or are rebuilding, known by its header
        alone: every peer pushes each block, so most arrive as duplicates, and reading their
        short ids and coinbase was most of what they cost (as Bitcoin Core, which looks no
        further than the header of a block it has). ValidationError otherwise, which the
        caller scores. Either way `origin` is noted as having the block, which is then never
        pushed back to it."""
        header = Header.from_json(expect_object(raw, "compact", COMPACT_FIELDS)["header"])
        entry = self.node.chain.get(header.hash)
        held = (entry is not None and entry.has_data) or header.hash in self._rebuilding
        if not held and (header.bits != self.node.params.difficulty or not header.has_valid_pow()):
            raise InvalidBlock("bad-pow", f"compact block {header.hash} lacks proof of work")
        peer = self.table.peers.get(origin or "")
        if peer is not None:
            peer.has_block(header.hash)
        return None if held else CompactBlock.from_json(raw, header)

    def on_compact(self, compact: CompactBlock | None, origin: str | None) -> dict[str, Any]:
        """A pushed compact block (None: one we hold, see `parse`): take it now if the mempool
        has every tx, else fetch the rest from `origin` in the background. A block that breaks
        a rule raises (scored already)."""
        if compact is None:
            self.heard(origin)
            return {"accepted": True, "missing": 0}
        peer = self.table.peers.get(origin or "")
        try:
            partial = rebuild(compact, self.node.mempool.txs)
            missing = partial.missing
            if not missing:
                self._take(partial.complete(), origin)
                return {"accepted": True, "missing": 0}
        except CompactFailed as exc:
            log.info("compact block %s: %s; fetching it whole", compact.hash[:16], exc)
            missing = []
            partial = None
        if peer is None:  # not handshaken: nowhere to fetch from; header sync will find it
            return {"accepted": False, "missing": len(missing)}
        self._rebuilding.add(compact.hash)
        self.tasks.spawn(self._finish(peer, compact, partial))
        return {"accepted": False, "missing": len(missing)}

    def _take(self, block: Block, origin: str | None) -> None:
        self.counters.received.inc()
        self.take_block(block, origin)

    async def _finish(
        self, peer: Peer, compact: CompactBlock, partial: PartialBlock | None
    ) -> None:
        """Fetch what the mempool lacked, or the full block when that fails."""
        try:
            if partial is not None:
                self.counters.missing_txs.inc(len(partial.missing))
                block = await self._fetch_missing(peer, partial)
                if block is not None:
                    await self.signatures.check([block])
                    self._take(block, peer.node_id)
                    return
            self.counters.fallbacks.inc()
            full = await self._fetch_full(peer, compact.hash)
            if full is not None:
                await self.signatures.check([full])
                self.take_block(full, peer.node_id)
        except ValidationError as exc:  # already scored by take_block
            log.info("compact block %s from %s refused: %s", compact.hash[:16], peer.node_id, exc)
        finally:
            self._rebuilding.discard(compact.hash)

    async def _fetch_missing(self, peer: Peer, partial: PartialBlock) -> Block | None:
        request = {"hash": partial.compact.hash, "indexes": partial.missing}
        answer = await self.send(peer, "/p2p/getblocktxn", request)
        try:
            raw = answer.get("txs") if isinstance(answer, dict) else None
            if not isinstance(raw, list):
                return None
            return partial.complete([Transaction.from_json(t) for t in raw])
        except (CompactFailed, ValidationError) as exc:
            log.info("getblocktxn from %s did not complete the block: %s", peer.node_id, exc)
            return None

    async def _fetch_full(self, peer: Peer, block_hash: str) -> Block | None:
        answer = await self.send(peer, "/p2p/getblocks", {"hashes": [block_hash]})
        blocks = answer.get("blocks") if isinstance(answer, dict) else None
        if not isinstance(blocks, list) or len(blocks) != 1:
            return None
        block = Block.from_json(blocks[0])
        return block if block.hash == block_hash else None

    # -- serving -----------------------------------------------------------------------------

    def block_txns(self, raw: Any) -> dict[str, Any] | None:
        """Answer a getblocktxn: the block's txs at `indexes`; None when we do not have it."""
        if not isinstance(raw, dict) or set(raw) != {"hash", "indexes"}:
            raise_decode("getblocktxn must be an object with exactly hash and indexes")
        block_hash = get_hex(raw, "hash", "getblocktxn", 32)
        indexes = raw["indexes"]
        if not isinstance(indexes, list) or len(indexes) > MAX_COMPACT_TXS:
            raise_decode(f"indexes must be a list of at most {MAX_COMPACT_TXS} integers")
        block = self.sent_blocks.get(block_hash) or self.node.block_body(block_hash)
        if block is None:
            return None
        txs = []
        for item in indexes:
            index = get_int({"index": item}, "index", "getblocktxn")
            if index >= len(block.txs):
                raise_decode(f"index {index} is beyond the block's {len(block.txs)} txs")
            txs.append(block.txs[index].to_json())
        return {"txs": txs}
