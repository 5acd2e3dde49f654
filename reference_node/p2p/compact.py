"""Compact blocks (in the spirit of BIP 152): a block sent as its header plus short tx ids.

Pure (no I/O). A receiver rebuilds the block from its mempool and asks the sender only for the
transactions it lacks (`getblocktxn`); anything that goes wrong ends in fetching the full block.

Short ids: the first SHORT_ID_BYTES (6) bytes of SHA-256(block hash || txid). Keying by the block
hash means nobody can grind transactions whose ids collide before the block exists (BIP 152 keys
SipHash with the header for the same reason; SHA-256 is already at hand and fast enough: one hash
per mempool transaction per block). 48 bits make an accidental collision between a 5,000-tx block
and a 10,000-tx mempool about 1 in 5 million. Collisions are handled, never trusted:
  * two mempool txs with one short id: that slot counts as missing and is requested;
  * two equal short ids in one compact block: it cannot be rebuilt (`CompactFailed`, full block);
  * a wrong tx matched by a colliding id: the merkle root of the rebuilt block does not match
    (`CompactFailed`, full block). None of these costs the sender ban score: an honest sender
    can produce them by chance.
The coinbase is always sent whole ("prefilled"): no mempool holds it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..core.block import Block, Header, merkle_root
from ..core.encoding import expect_object, get_int, is_hex, raise_decode, sha256
from ..core.params import MAX_BLOCK_TXS
from ..core.tx import Transaction

SHORT_ID_BYTES = 6
SHORT_ID_CACHE_SIZE = 1 << 13
"""Short ids remembered per process: a block's worth of mempool and block transactions, which a
simulator's nodes all ask for within moments; about 1.6 MB when full, where 1 << 16 would add
some 13 MB to every node process (a node alone asks for each id once or twice)."""
MAX_COMPACT_TXS = MAX_BLOCK_TXS + 1
"""A compact block names at most this many transactions (the coinbase and a full block)."""
COMPACT_FIELDS = frozenset({"header", "short_ids", "prefilled"})
_PREFILLED_FIELDS = frozenset({"index", "tx"})


class CompactFailed(Exception):
    """The compact block cannot be rebuilt; fetch the full block instead (nobody's fault)."""


@lru_cache(maxsize=SHORT_ID_CACHE_SIZE)
def short_id(block_hash: str, txid: str) -> str:
    """Remembered per process, as `keys.verify`: a simulator's nodes each name a block's
    transactions, and each match their mempool against it."""
    return sha256(bytes.fromhex(block_hash) + bytes.fromhex(txid))[:SHORT_ID_BYTES].hex()


@dataclass(frozen=True, slots=True)
class CompactBlock:
    header: Header
    short_ids: tuple[str, ...]
    """The ids of the transactions not prefilled, in block order."""
    prefilled: tuple[tuple[int, Transaction], ...]
    """(index in the block, tx), indexes strictly increasing."""

    @property
    def hash(self) -> str:
        return self.header.hash

    @property
    def tx_count(self) -> int:
        return len(self.short_ids) + len(self.prefilled)

    @classmethod
    def of(cls, block: Block) -> CompactBlock:
        ids = tuple(short_id(block.hash, tx.txid) for tx in block.txs[1:])
        return cls(block.header, ids, ((0, block.txs[0]),))

    def to_json(self) -> dict[str, Any]:
        return {
            "header": self.header.to_json(),
            "short_ids": list(self.short_ids),
            "prefilled": [{"index": i, "tx": tx.to_json()} for i, tx in self.prefilled],
        }

    @classmethod
    def from_json(cls, obj: object, header: Header | None = None) -> CompactBlock:
        """Parse a wire compact block; DecodeError on any shape or bound violation. `header`:
        its header, already parsed by the caller."""
        d = expect_object(obj, "compact", COMPACT_FIELDS)
        if header is None:
            header = Header.from_json(d["header"])
        ids, prefilled = d["short_ids"], d["prefilled"]
        if not isinstance(ids, list) or not isinstance(prefilled, list):
            raise_decode("compact.short_ids and compact.prefilled must be lists")
        if len(ids) + len(prefilled) > MAX_COMPACT_TXS:
            raise_decode(f"a compact block names at most {MAX_COMPACT_TXS} transactions")
        if not _all_hex(ids, SHORT_ID_BYTES):
            raise_decode(f"compact.short_ids must be {2 * SHORT_ID_BYTES} lowercase hex chars")
        total = len(ids) + len(prefilled)
        slots: list[tuple[int, Transaction]] = []
        for item in prefilled:
            entry = expect_object(item, "prefilled", _PREFILLED_FIELDS)
            index = get_int(entry, "index", "prefilled", maximum=total - 1)
            if slots and index <= slots[-1][0]:
                raise_decode("prefilled indexes must be strictly increasing")
            slots.append((index, Transaction.from_json(entry["tx"])))
        return cls(header, tuple(ids), tuple(slots))


def _all_hex(items: list[Any], nbytes: int) -> bool:
    """Every item a string of `nbytes` in lowercase hex: checked as one joined string, since a
    block names hundreds of short ids and one set per id was most of parsing it."""
    if not all(isinstance(item, str) and len(item) == 2 * nbytes for item in items):
        return False
    return is_hex("".join(items), nbytes * len(items))


@dataclass(slots=True)
class PartialBlock:
    """A compact block with the slots the mempool could fill; `missing` are the empty ones."""

    compact: CompactBlock
    slots: list[Transaction | None]

    @property
    def missing(self) -> list[int]:
        return [i for i, tx in enumerate(self.slots) if tx is None]

    def complete(self, txs: Sequence[Transaction] = ()) -> Block:
        """Fill the missing slots with `txs` (in order); CompactFailed unless it is the block."""
        missing = self.missing
        if len(txs) != len(missing):
            raise CompactFailed(f"{len(missing)} transactions missing, {len(txs)} given")
        slots = list(self.slots)
        for index, tx in zip(missing, txs, strict=True):
            slots[index] = tx
        filled = tuple(tx for tx in slots if tx is not None)
        if merkle_root([tx.txid for tx in filled]) != self.compact.header.merkle_root:
            raise CompactFailed("rebuilt transactions do not match the merkle root")
        return Block(self.compact.header, filled)


def rebuild(compact: CompactBlock, pool: Mapping[str, Transaction]) -> PartialBlock:
    """Fill what `pool` (txid -> tx) can; a short id two pool txs share is left missing."""
    if len(set(compact.short_ids)) != len(compact.short_ids):
        raise CompactFailed("the compact block repeats a short id")
    wanted = set(compact.short_ids)
    by_short: dict[str, Transaction | None] = {}
    for txid, tx in pool.items():
        sid = short_id(compact.hash, txid)
        if sid in wanted:
            by_short[sid] = None if sid in by_short else tx
    slots: list[Transaction | None] = [None] * compact.tx_count
    prefilled = dict(compact.prefilled)
    ids = iter(compact.short_ids)
    for index in range(compact.tx_count):
        slots[index] = prefilled[index] if index in prefilled else by_short.get(next(ids))
    return PartialBlock(compact, slots)
