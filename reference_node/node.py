"""One node: the sans-IO core wired to the store, the clock, events, metrics and the network.

Every input (a tx from a user or a peer, a block, a batch of headers) goes through one method here,
which asks the core, persists the resulting update in one SQLite transaction, then records events
and metrics and hands relays to the P2P layer. All of it runs on the event loop thread, so the core
never sees two inputs at once.

The node builds none of its collaborators: the store, the persona and the clock come in through
the constructor and the relay through `connect_relay` (see `reference_node.app`, the one place
that wires a node together), so a simulator can build the same node on a fake clock.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .behaviors.base import Persona
from .core.block import Block, Header
from .core.chain import ChainState, ChainUpdate
from .core.errors import InvalidBlock, InvalidTx
from .core.keys import address_of, miner_key
from .core.mempool import Mempool
from .core.orphans import OrphanPool
from .core.params import ChainParams
from .core.tx import Transaction
from .core.validation import VerifiedTxids
from .events import EventLog
from .metrics import Metrics
from .store import Store

log = logging.getLogger("reference_node")

PERSONA_STATE_FILE = "persona-state.json"
"""A persona's private state (withheld blocks) beside the chain database, so a restart keeps it."""
ANCHORS_FILE = "anchors.json"
"""The last learned peers this node dialled, dialled first after a restart (the eclipse defence)."""
RECENTLY_CONFIRMED = 20_000
"""Txids of the latest connected blocks kept in memory: a tx relayed or announced to us just after
its block arrived is recognised without a store query (Bitcoin Core keeps such a filter too)."""


@dataclass(frozen=True)
class NodeConfig:
    """Everything the command line sets; see `cli.py` for meanings and defaults."""

    port: int
    data_dir: Path
    node_id: str
    host: str = "127.0.0.1"
    advertise: str = ""
    peers: tuple[str, ...] = ()
    bootstrap: tuple[str, ...] = ()
    dial_map: dict[str, str] = field(default_factory=dict)
    mine: bool = False
    hold_mining: bool = False
    """Mine only from `POST /mining/start` on (the runner's time zero)."""
    mining: str = "simulated"
    hashrate: float = 1.0
    block_interval: float = 5.0
    difficulty: int = 16
    seed: int = 0
    genesis_accounts: int = 100
    reward: int = 50
    prune: int | None = None
    max_peers: int = 32
    eclipse_defence: bool = True
    """Topology neighbours (--peers/--bootstrap) always keep a slot; off: first come, first served."""
    persona: str = "honest"
    persona_args: dict[str, str] = field(default_factory=dict)
    persona_dormant: bool = False
    """Honest until `POST /persona/activate` (a scenario attacker before its `attack: start`)."""
    compact_blocks: bool = True
    verify_workers: int = 0
    """Signature-checking processes; 0 checks on the event loop (decision D16)."""

    @property
    def address(self) -> str:
        return self.advertise or f"{self.host}:{self.port}"


class Relay:
    """What the node asks of the network; the P2P layer replaces this silent default."""

    def block(self, block: Block, origin: str | None) -> None:
        """Push a new tip block to peers (all but `origin`)."""

    def tip(self, block_hash: str) -> None:
        """Announce a tip reached by sync (inv); peers behind fetch headers."""

    def tx(self, tx: Transaction, origin: str | None) -> None:
        """Broadcast a newly admitted transaction."""

    def missing_parent(self, block: Block, origin: str | None) -> None:
        """Ask `origin` for the headers linking `block` to our chain."""


class _HeldMempoolWrites:
    """Mempool changes and relays of a batch of admissions, held back for one commit."""

    def __init__(self) -> None:
        self.added: dict[str, Transaction] = {}
        self.removed: set[str] = set()
        self.relays: list[tuple[Transaction, str | None]] = []

    def admitted(
        self, tx: Transaction, pushed_out: Sequence[Transaction], origin: str | None
    ) -> None:
        for gone in pushed_out:
            # deletes run before inserts: a tx both pushed out and re-admitted stays
            self.added.pop(gone.txid, None)
            self.removed.add(gone.txid)
        self.added[tx.txid] = tx
        self.relays.append((tx, origin))


class Node:
    def __init__(
        self,
        config: NodeConfig,
        store: Store,
        persona: Persona,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.clock = clock
        self.params = ChainParams(config.difficulty, config.genesis_accounts, config.reward)
        self.persona = persona
        self.store = store
        self.chain = ChainState(self.params, self.store)
        self.mempool = Mempool()
        self.verified = VerifiedTxids(self.mempool.txs)
        self.orphans = OrphanPool()
        self.events = EventLog(clock=clock)
        self.metrics = Metrics()
        self.relay = Relay()
        self.max_reorg_depth = 0
        self._held: _HeldMempoolWrites | None = None
        self._recently_confirmed: dict[str, None] = {}
        self.miner_address = address_of(miner_key(config.node_id))
        restored = self.store.load(self.chain)
        self._commit(self.chain.activate(), "peer", None)
        self._reload_mempool()
        self._refresh_gauges()
        log.info(
            "%s chain at height %d tip %s (genesis %s)",
            "restored" if restored else "new",
            self.chain.height,
            self.chain.tip.hash[:16],
            self.chain.genesis.hash[:16],
        )

    def connect_relay(self, relay: Relay) -> None:
        """Hand relays to the network from now on (until then they go nowhere)."""
        self.relay = relay

    @property
    def node_id(self) -> str:
        return self.config.node_id

    @property
    def address(self) -> str:
        return self.config.address

    @property
    def host(self) -> str:
        return self.config.host

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def tx_height(self, txid: str) -> int | None:
        """The height of the active-chain block holding `txid`; None when it is in none."""
        location = self.store.tx_location(txid)
        return None if location is None else location[1]

    def keep_private(self, state: dict[str, Any]) -> None:
        """Persist a persona's private state, replacing the last one whole."""
        self._write_whole(PERSONA_STATE_FILE, {"persona": self.persona.name, **state})

    def keep_anchors(self, addresses: list[str]) -> None:
        """Persist the addresses of the peers we dialled, to dial first after a restart."""
        self._write_whole(ANCHORS_FILE, {"anchors": addresses})

    def anchors(self) -> list[str]:
        """The addresses `keep_anchors` last saved; none when there are none usable."""
        path = self.config.data_dir / ANCHORS_FILE
        try:
            saved = json.loads(path.read_text()).get("anchors")
        except FileNotFoundError:
            return []
        except (OSError, ValueError, AttributeError) as exc:
            log.warning("ignoring unreadable %s: %s", path, exc)
            return []
        valid = isinstance(saved, list) and all(isinstance(a, str) and ":" in a for a in saved)
        return list(saved) if valid else []

    def _write_whole(self, name: str, state: dict[str, Any]) -> None:
        """Write a JSON file in the data directory whole: a killed process leaves the old file or
        the new one, never half of either. No fsync, as the store (synchronous=NORMAL): only a
        power cut can lose the last write, and a file left unreadable then is read as none. Each
        dial to a new learned address rewrites the anchors (470 fsyncs in a 200-node simulation
        of 20 s)."""
        path = self.config.data_dir / name
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(state))
        os.replace(partial, path)

    def kept_private(self) -> dict[str, Any] | None:
        """The state `keep_private` last saved for this persona; None when there is none usable."""
        path = self.config.data_dir / PERSONA_STATE_FILE
        try:
            state = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable %s: %s", path, exc)
            return None
        if not isinstance(state, dict) or state.get("persona") != self.persona.name:
            return None
        return state

    # -- inputs ----------------------------------------------------------------------------

    def submit_tx(self, tx: Transaction, origin: str | None = None) -> str:
        """Admit a transaction (raises InvalidTx); persisted before this returns, then relayed."""
        if self.holds_tx(tx.txid) or (
            # the chain holds a tx only at a nonce its sender has used: most relayed txs are
            # newer than that, and need no txindex read
            tx.nonce < self.chain.state.nonce(tx.sender) and self._confirmed(tx.txid)
        ):
            return tx.txid
        try:
            removed = self.mempool.add(tx, self.chain.state)
        except InvalidTx as exc:
            if exc.penalty:
                self.metrics.invalid_messages.inc()
            raise
        self.metrics.txs_received.inc()
        self.metrics.mempool_size.set(len(self.mempool))
        if self._held is not None:
            self._held.admitted(tx, removed, origin)
            return tx.txid
        self.store.mempool_changed([tx], [t.txid for t in removed])
        self.relay.tx(tx, origin)
        return tx.txid

    def holds_tx(self, txid: str) -> bool:
        """In the mempool or in the latest connected blocks: answered from memory. What a tx
        announcement is checked against, as Bitcoin Core's `AlreadyHaveTx` checks its mempool
        and a filter of recently confirmed txs, never the chain on disk: a tx confirmed longer
        ago is announced only by a peer far behind, and `submit_tx` still turns it away."""
        return txid in self.mempool.txs or txid in self._recently_confirmed

    def _confirmed(self, txid: str) -> bool:
        return self.store.tx_location(txid) is not None

    @contextmanager
    def admitting_together(self) -> Iterator[None]:
        """Admit several transactions (a relayed batch) with one SQLite commit instead of one
        each, the node's main per-transaction cost after the signature check. What was admitted
        is committed atomically when the block ends, even if it ends by an exception, and only
        then relayed: the caller answers after the commit, so an acknowledged tx is durable."""
        if self._held is not None:
            yield  # nested: the outer block commits
            return
        self._held = _HeldMempoolWrites()
        try:
            yield
        finally:
            self._write_held()

    def _write_held(self) -> None:
        held, self._held = self._held, None
        if held is None or not (held.added or held.removed):
            return
        self.store.mempool_changed(held.added.values(), held.removed)
        for tx, origin in held.relays:
            self.relay.tx(tx, origin)

    def receive_block(
        self, block: Block, origin: str | None = None, source: str = "peer", push: bool = True
    ) -> ChainUpdate:
        """Take a block from a peer (or our miner); raises InvalidBlock for a bad one.

        `push` says whether a resulting new tip is pushed to peers (fresh announcements) or only
        announced by hash (bulk download during sync).
        """
        try:
            update = self.chain.add_block(block, self.now_ms(), verified=self.verified)
        except InvalidBlock as exc:
            self.metrics.invalid_messages.inc()
            log.warning("rejected block %s from %s: %s", block.hash[:16], origin or source, exc)
            raise
        if update.orphan:
            self.orphans.add(block)
            self.relay.missing_parent(block, origin)
            return update
        if update.duplicate:
            return update
        self._commit(update, source, origin, push=push)
        self._adopt_orphans(block.hash)
        if any(entry.hash == block.hash for entry in update.invalidated):
            # it passed the context-free checks but broke the chain state when it connected
            # (a double spend, an overspend): as much the sender's fault as a bad signature
            self.metrics.invalid_messages.inc()
            log.warning("block %s from %s broke the chain state", block.hash[:16], origin or source)
            raise InvalidBlock("bad-state", f"block {block.hash} breaks the account state")
        return update

    def take_own_blocks(self, blocks: Sequence[Block], push: bool = False) -> None:
        """Blocks we mined (the miner's, a persona's private chain), in order; `push` sends a new
        tip to peers (a persona releasing a chain sends it itself). Stops at the first one the
        chain refuses, which would be a bug in the miner."""
        for block in blocks:
            try:
                self.receive_block(block, None, source="mined", push=push)
            except InvalidBlock as exc:
                log.error("own block %s rejected: %s", block.hash[:16], exc)
                return

    def receive_headers(self, headers: Sequence[Header]) -> ChainUpdate:
        """Extend the header index (headers-first sync); `.error` names the first bad header."""
        update = self.chain.add_headers(headers, self.now_ms())
        if update.new_headers or update.invalidated:
            self.store.apply(update, self.chain)
        if update.error is not None:
            self.metrics.invalid_messages.inc()
        return update

    def block_body(self, block_hash: str) -> Block | None:
        """A stored block as served to others: what pruning deleted is gone, even if cached."""
        if block_hash == self.chain.genesis.hash:
            return self.chain.genesis
        return self.store.get_block(block_hash)

    # -- internals -------------------------------------------------------------------------

    def _adopt_orphans(self, parent_hash: str) -> None:
        pending = [parent_hash]
        while pending:
            for child in self.orphans.pop_children(pending.pop()):
                try:
                    update = self.chain.add_block(child, self.now_ms())
                except InvalidBlock as exc:
                    log.warning("rejected orphan %s: %s", child.hash[:16], exc)
                    continue
                if not (update.orphan or update.duplicate):
                    self._commit(update, "peer", None)
                    pending.append(child.hash)

    def _commit(
        self, update: ChainUpdate, source: str, origin: str | None, push: bool = True
    ) -> None:
        self._write_held()  # keep the store's mempool writes in the order they happened
        added, removed = self.mempool.apply_chain_update(update, self.chain.state)
        self.store.apply(update, self.chain, added, removed)
        self._remember_confirmed(update)
        for block in update.new_bodies:
            entry = self.chain.entries[block.hash]
            self.events.emit(
                "block",
                hash=block.hash,
                height=entry.height,
                source=source,
                miner=block.header.miner,
                parent=block.header.prev,
            )
            if source == "mined":
                self.metrics.blocks_mined.inc()
            else:
                self.metrics.blocks_received.inc()
        if update.tip_changed:
            self._on_new_tip(update, origin, push)
        self._refresh_gauges()

    def _remember_confirmed(self, update: ChainUpdate) -> None:
        recent = self._recently_confirmed
        if update.disconnected:
            recent.clear()  # some of them left the active chain
        for block in update.connected:
            for tx in block.txs:
                recent[tx.txid] = None
        while len(recent) > RECENTLY_CONFIRMED:
            del recent[next(iter(recent))]

    def _on_new_tip(self, update: ChainUpdate, origin: str | None, push: bool) -> None:
        tip = update.new_tip
        depth = update.reorg_depth()
        if depth:
            self.events.emit("reorg", depth=depth, old_tip=update.old_tip.hash, new_tip=tip.hash)
            self.metrics.reorgs.inc()
            self.max_reorg_depth = max(self.max_reorg_depth, depth)
            self.metrics.reorg_depth_max.set(self.max_reorg_depth)
            log.info("reorg depth %d: %s -> %s", depth, update.old_tip.hash[:16], tip.hash[:16])
        self.events.emit("tip", hash=tip.hash, height=tip.height)
        log.info("tip %s height %d (+%d blocks)", tip.hash[:16], tip.height, len(update.connected))
        fresh = [b for b in update.new_bodies if b.hash == tip.hash]
        if push and fresh:
            self.relay.block(fresh[0], origin)
        elif tip is self.chain.best_header:
            self.relay.tip(tip.hash)
        self.persona.on_tip(update)

    def _reload_mempool(self) -> None:
        dropped: list[str] = []
        for tx in self.store.load_mempool():
            try:
                self.mempool.add(tx, self.chain.state)
            except InvalidTx:
                dropped.append(tx.txid)
        if dropped:
            self.store.mempool_changed([], dropped)

    def _refresh_gauges(self) -> None:
        self.metrics.height.set(self.chain.height)
        self.metrics.mempool_size.set(len(self.mempool))

    def status(self, peers: list[dict[str, str]]) -> dict[str, object]:
        """The `/status` document (contract: node_id, height, tip, total_work, peers, ...)."""
        tip = self.chain.tip
        return {
            "node_id": self.config.node_id,
            "height": tip.height,
            "tip": tip.hash,
            "total_work": tip.work,
            "peers": peers,
            "mempool_size": len(self.mempool),
            "best_header_height": self.chain.best_header.height,
            "mining": self.config.mine and self.config.hashrate > 0,
            "mining_mode": self.config.mining,
            "hashrate": self.config.hashrate,
            "persona": self.persona.name,
            "persona_stats": self.persona.stats(),
            "version": __version__,
            "genesis": self.chain.genesis.hash,
            "difficulty": self.params.difficulty,
            "miner": self.miner_address,
            "orphans": len(self.orphans),
            "address": self.config.address,
        }
