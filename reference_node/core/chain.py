"""The block tree, fork choice and reorgs: the one state machine that decides the active chain.

Every header ever accepted is in an in-memory index (`Entry`); bodies and undo records live in the
store and come back through the `BlockSource` port when a reorg needs them. Fork choice: among
blocks whose whole ancestry has been received and is not known invalid, the one with the most
cumulative work; on a tie, the first seen. Each call returns a `ChainUpdate` describing what changed,
which the node persists in one database transaction and turns into events, metrics and relays.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, Protocol, TypeVar

from .block import Block, Header
from .errors import InvalidBlock, ValidationError
from .genesis import genesis_allocation, genesis_block
from .params import MEDIAN_TIME_SPAN, ChainParams
from .state import AccountState, Undo
from .validation import check_body, check_header

_CACHE_SIZE = 512
T = TypeVar("T")


class BlockSource(Protocol):
    """Where bodies and undo records of blocks that left memory are read back from."""

    def get_block(self, block_hash: str) -> Block | None: ...

    def get_undo(self, block_hash: str) -> Undo | None: ...


class MemorySource:
    """A BlockSource that keeps everything: for tests and simulations without a database."""

    def __init__(self) -> None:
        self.blocks: dict[str, Block] = {}
        self.undos: dict[str, Undo] = {}

    def get_block(self, block_hash: str) -> Block | None:
        return self.blocks.get(block_hash)

    def get_undo(self, block_hash: str) -> Undo | None:
        return self.undos.get(block_hash)

    def record(self, update: ChainUpdate) -> None:
        for block in update.new_bodies:
            self.blocks[block.hash] = block
        for op in update.ops:
            if op.kind == "connect":
                self.undos[op.block.hash] = op.undo


@dataclass(eq=False, slots=True)
class Entry:
    """One header in the index; `work` is the cumulative work of the chain ending here."""

    header: Header
    height: int
    work: int
    parent: Entry | None
    seq: int
    has_data: bool = False
    """The body was received and passed the context-free checks (it may since be pruned)."""
    chain_has_data: bool = False
    invalid: bool = False
    unreachable: bool = False
    """A reorg to it would disconnect pruned blocks: skipped by fork choice, not invalid."""
    children: list[Entry] = field(default_factory=list)

    @property
    def hash(self) -> str:
        return self.header.hash


@dataclass(frozen=True, slots=True)
class ChainOp:
    kind: Literal["connect", "disconnect"]
    block: Block
    undo: Undo
    height: int


@dataclass(slots=True)
class ChainUpdate:
    """What one call changed, in order; the store applies it as one transaction."""

    old_tip: Entry
    new_tip: Entry
    new_headers: list[Entry] = field(default_factory=list)
    new_bodies: list[Block] = field(default_factory=list)
    invalidated: list[Entry] = field(default_factory=list)
    ops: list[ChainOp] = field(default_factory=list)
    orphan: bool = False
    """The block's parent is unknown: nothing changed, the caller should keep it and ask around."""
    duplicate: bool = False
    error: ValidationError | None = None
    """For header batches: the first bad header (those before it were kept)."""

    @property
    def tip_changed(self) -> bool:
        return self.old_tip is not self.new_tip

    @property
    def connected(self) -> list[Block]:
        return [op.block for op in self.ops if op.kind == "connect"]

    @property
    def disconnected(self) -> list[Block]:
        return [op.block for op in self.ops if op.kind == "disconnect"]

    def reorg_depth(self) -> int:
        """Blocks of the old active chain that are no longer in it."""
        return self.old_tip.height - fork_point(self.old_tip, self.new_tip).height

    def touched_accounts(self) -> set[str]:
        return {address for op in self.ops for address, _ in op.undo.prior}


def fork_point(a: Entry, b: Entry) -> Entry:
    """The last common ancestor of two entries."""
    while a is not b:
        if a.height >= b.height:
            assert a.parent is not None
            a = a.parent
        else:
            assert b.parent is not None
            b = b.parent
    return a


def _remember(cache: OrderedDict[str, T], key: str, value: T) -> None:
    """Insert into a small LRU cache of recent bodies or undo records."""
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


class ChainState:
    """Header index, active chain and account state of one node."""

    def __init__(self, params: ChainParams, source: BlockSource) -> None:
        self.params = params
        self.source = source
        self.genesis = genesis_block(params.difficulty, params.genesis_accounts)
        root = Entry(self.genesis.header, 0, self.genesis.header.work, None, 0, True, True)
        self.entries: dict[str, Entry] = {root.hash: root}
        self.active: list[Entry] = [root]
        self.best_header = root
        self.state = AccountState(
            {a: (b, 0) for a, b in genesis_allocation(params.genesis_accounts).items()}
        )
        self._seq = 1
        self._candidates: set[Entry] = {root}
        self._bodies: OrderedDict[str, Block] = OrderedDict({root.hash: self.genesis})
        self._undos: OrderedDict[str, Undo] = OrderedDict()
        self._header_path: tuple[Entry, list[Entry]] | None = None
        self._header_path_done = 0  # how many of the path's first entries have their body

    # -- queries ---------------------------------------------------------------------------

    @property
    def tip(self) -> Entry:
        return self.active[-1]

    @property
    def height(self) -> int:
        return len(self.active) - 1

    def get(self, block_hash: str) -> Entry | None:
        return self.entries.get(block_hash)

    def is_active(self, entry: Entry) -> bool:
        return entry.height < len(self.active) and self.active[entry.height] is entry

    def get_block(self, block_hash: str) -> Block | None:
        block = self._bodies.get(block_hash)
        return block if block is not None else self.source.get_block(block_hash)

    def locator(self, from_best_header: bool = True) -> list[str]:
        """Hashes going back from the tip: 10 one by one, then doubling steps, then genesis."""
        entry: Entry | None = self.best_header if from_best_header else self.tip
        hashes: list[str] = []
        step = 1
        while entry is not None:
            hashes.append(entry.hash)
            if len(hashes) >= 10:
                step *= 2
            target = entry.height - step
            if target <= 0:
                break
            while entry is not None and entry.height > target:
                entry = entry.parent
        if hashes[-1] != self.active[0].hash:
            hashes.append(self.active[0].hash)
        return hashes

    def headers_after(self, locator: Iterable[str], count: int) -> list[Header]:
        """Active-chain headers after the first locator hash we have in our active chain."""
        start = 1
        for block_hash in locator:
            entry = self.entries.get(block_hash)
            if entry is not None and self.is_active(entry):
                start = entry.height + 1
                break
        return [e.header for e in self.active[start : start + count]]

    def missing_blocks(self, limit: int, window: int) -> list[Entry]:
        """Bodies to download: on the best-header chain, lowest first, at most `window` ahead.

        A round starts past the path's leading entries that already have their body (a body,
        once stored, stays), so a sync of n blocks walks its path about once, not once a round.
        """
        best = self.best_header
        if self._header_path is None or self._header_path[0] is not best:
            path: list[Entry] = []
            entry: Entry | None = best
            while entry is not None and not self.is_active(entry):
                path.append(entry)
                entry = entry.parent
            path.reverse()
            self._header_path, self._header_path_done = (best, path), 0
        path = self._header_path[1]
        done = self._header_path_done
        while done < len(path) and (path[done].has_data or path[done].invalid):
            done += 1
        self._header_path_done = done
        max_height = self.height + window
        out: list[Entry] = []
        for i in range(done, len(path)):
            entry = path[i]
            if entry.height > max_height or len(out) >= limit:
                break
            if not entry.has_data and not entry.invalid:
                out.append(entry)
        return out

    def ancestor_times(self, parent: Entry) -> list[int]:
        times: list[int] = []
        entry: Entry | None = parent
        while entry is not None and len(times) < MEDIAN_TIME_SPAN:
            times.append(entry.header.timestamp)
            entry = entry.parent
        return times

    # -- input -----------------------------------------------------------------------------

    def add_headers(self, headers: Sequence[Header], now_ms: int) -> ChainUpdate:
        """Extend the header index; stops at the first bad header and reports it in `.error`."""
        update = ChainUpdate(self.tip, self.tip)
        for header in headers:
            try:
                entry = self._add_header(header, now_ms, update)
            except ValidationError as exc:
                update.error = exc
                break
            if entry is None:
                update.orphan = True
                break
        return update

    def add_block(self, block: Block, now_ms: int, verified: Container[str] = ()) -> ChainUpdate:
        """Accept a block body: index it, store it, and move the tip if it leads to more work.

        Raises InvalidBlock when the block breaks a rule; returns `orphan=True` when its parent is
        unknown (the caller keeps it and asks the sender for headers).
        """
        update = ChainUpdate(self.tip, self.tip)
        entry = self.entries.get(block.hash)
        if entry is not None and entry.invalid:
            raise InvalidBlock("known-invalid", f"block {block.hash} is known to be invalid")
        if entry is not None and entry.has_data:
            update.duplicate = True
            return update
        if entry is None:
            entry = self._add_header(block.header, now_ms, update)
            if entry is None:
                update.orphan = True
                return update
        try:
            check_body(block, entry.height, verified)
        except InvalidBlock as exc:
            if exc.reason != "bad-merkle-root":
                self._invalidate(entry, update)
            raise
        _remember(self._bodies, block.hash, block)
        update.new_bodies.append(block)
        self._on_data(entry)
        self._activate(update)
        update.new_tip = self.tip
        return update

    def activate(self) -> ChainUpdate:
        """Move to the best candidate (after a restore, when the store had a better one pending)."""
        update = ChainUpdate(self.tip, self.tip)
        self._activate(update)
        update.new_tip = self.tip
        return update

    # -- restore from the store ------------------------------------------------------------

    def restore(
        self,
        headers: Iterable[tuple[Header, bool, bool]],
        tip_hash: str,
        accounts: dict[str, tuple[int, int]],
    ) -> None:
        """Rebuild the index from stored (header, has_data, invalid) rows in height order."""
        for header, has_data, invalid in headers:
            parent = self.entries.get(header.prev)
            if header.hash in self.entries or parent is None:
                continue
            entry = self._new_entry(header, parent)
            entry.has_data, entry.invalid = has_data, invalid or parent.invalid
            if has_data and parent.chain_has_data:
                entry.chain_has_data = True
            if not entry.invalid and self._better(entry, self.best_header):
                self.best_header = entry
        tip = self.entries[tip_hash]
        chain: list[Entry] = []
        walk: Entry | None = tip
        while walk is not None:
            chain.append(walk)
            walk = walk.parent
        self.active = chain[::-1]
        self.state = AccountState(accounts)
        self._candidates = {
            e
            for e in self.entries.values()
            if e.chain_has_data and not e.invalid and e.work >= tip.work
        }
        self._candidates.add(tip)

    # -- internals -------------------------------------------------------------------------

    def _new_entry(self, header: Header, parent: Entry) -> Entry:
        entry = Entry(header, parent.height + 1, parent.work + header.work, parent, self._seq)
        self._seq += 1
        self.entries[entry.hash] = entry
        parent.children.append(entry)
        return entry

    @staticmethod
    def _better(a: Entry, b: Entry) -> bool:
        return (a.work, -a.seq) > (b.work, -b.seq)

    def _add_header(self, header: Header, now_ms: int, update: ChainUpdate) -> Entry | None:
        known = self.entries.get(header.hash)
        if known is not None:
            if known.invalid:
                raise InvalidBlock("known-invalid", f"header {header.hash} is known to be invalid")
            return known
        parent = self.entries.get(header.prev)
        if parent is None:
            # an orphan is kept until its parent comes: without its work checked first, a forged
            # one would cost nothing and could push honest orphans out of the bounded pool
            check_header(header, self.params, (), now_ms)
            return None
        if parent.invalid:
            raise InvalidBlock("invalid-parent", f"header {header.hash} builds on an invalid block")
        check_header(header, self.params, self.ancestor_times(parent), now_ms)
        entry = self._new_entry(header, parent)
        update.new_headers.append(entry)
        if self._better(entry, self.best_header):
            self.best_header = entry
        return entry

    def _on_data(self, entry: Entry) -> None:
        entry.has_data = True
        if entry.parent is not None and not entry.parent.chain_has_data:
            return
        stack = [entry]
        while stack:
            e = stack.pop()
            e.chain_has_data = True
            if not e.invalid and e.work >= self.tip.work:
                self._candidates.add(e)
            stack.extend(c for c in e.children if c.has_data and not c.chain_has_data)

    def _invalidate(self, entry: Entry, update: ChainUpdate) -> None:
        stack = [entry]
        while stack:
            e = stack.pop()
            if not e.invalid:
                e.invalid = True
                update.invalidated.append(e)
            self._candidates.discard(e)
            stack.extend(e.children)
        if self.best_header.invalid:
            self.best_header = max(
                (e for e in self.entries.values() if not e.invalid),
                key=lambda e: (e.work, -e.seq),
            )

    def _get_undo(self, entry: Entry) -> Undo | None:
        undo = self._undos.get(entry.hash)
        return undo if undo is not None else self.source.get_undo(entry.hash)

    def _activate(self, update: ChainUpdate) -> None:
        while True:
            best = max(self._candidates, key=lambda e: (e.work, -e.seq))
            if best is self.tip:
                break
            fork = fork_point(self.tip, best)
            if not all(
                self.get_block(e.hash) is not None and self._get_undo(e) is not None
                for e in self.active[fork.height + 1 :]
            ):
                best.unreachable = True
                self._candidates.discard(best)
                continue
            while self.tip is not fork:
                self._disconnect(update)
            path: list[Entry] = []
            walk: Entry | None = best
            while walk is not fork and walk is not None:
                path.append(walk)
                walk = walk.parent
            for entry in reversed(path):
                block = self.get_block(entry.hash)
                if block is None:
                    entry.unreachable = True
                    self._candidates.discard(best)
                    break
                try:
                    undo = self.state.apply_block(block, self.params.reward, entry.height)
                except InvalidBlock:
                    self._invalidate(entry, update)
                    break
                self.active.append(entry)
                _remember(self._undos, entry.hash, undo)
                update.ops.append(ChainOp("connect", block, undo, entry.height))
            tip_work = self.tip.work
            self._candidates = {e for e in self._candidates if e.work >= tip_work}
            self._candidates.add(self.tip)

    def _disconnect(self, update: ChainUpdate) -> None:
        entry = self.active[-1]
        block, undo = self.get_block(entry.hash), self._get_undo(entry)
        assert block is not None and undo is not None, "checked by _activate"
        self.state.undo(undo)
        self.active.pop()
        update.ops.append(ChainOp("disconnect", block, undo, entry.height))
