"""Headers and blocks, their hashes, proof of work and the merkle root.

A header is packed to 116 fixed bytes; its SHA-256 is the block hash, and the proof of work is the
number of leading zero bits of that hash. The merkle tree separates leaves from inner nodes with a
prefix byte, so no inner node can pose as a transaction (the Bitcoin CVE-2012-2459 family).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from .encoding import expect_object, get_hex, get_int, raise_decode, sha256
from .tx import Transaction

HEADER_SIZE = 116
MAX_BITS = 255
_HEADER = struct.Struct(">32s32sQIQ32s")
_HEADER_FIELDS = frozenset({"prev", "merkle_root", "timestamp", "bits", "nonce", "miner"})
_BLOCK_FIELDS = frozenset({"header", "txs"})
ZERO_HASH = "00" * 32
MERKLE_CACHE_SIZE = 16
"""Roots remembered per process, keyed by the blocks' txids: the latest few blocks are all a
simulator's nodes check at once, and each entry holds its block's txids alive (256 entries of
1,000-tx blocks would be some 30 MB in every node process)."""


@dataclass(frozen=True, slots=True)
class Header:
    prev: str
    merkle_root: str
    timestamp: int
    """Unix time in milliseconds."""
    bits: int
    """Difficulty: the hash must start with this many zero bits."""
    nonce: int
    miner: str
    hash: str = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hash", sha256(self.serialize()).hex())

    def serialize(self) -> bytes:
        return _HEADER.pack(
            bytes.fromhex(self.prev),
            bytes.fromhex(self.merkle_root),
            self.timestamp,
            self.bits,
            self.nonce,
            bytes.fromhex(self.miner),
        )

    @classmethod
    def deserialize(cls, data: bytes) -> Header:
        prev, root, timestamp, bits, nonce, miner = _HEADER.unpack(data)
        return cls(prev.hex(), root.hex(), timestamp, bits, nonce, miner.hex())

    def with_nonce(self, nonce: int, timestamp: int | None = None) -> Header:
        ts = self.timestamp if timestamp is None else timestamp
        return Header(self.prev, self.merkle_root, ts, self.bits, nonce, self.miner)

    @property
    def work(self) -> int:
        return work_of(self.bits)

    def has_valid_pow(self) -> bool:
        return meets_target(bytes.fromhex(self.hash), self.bits)

    def to_json(self) -> dict[str, Any]:
        return {
            "prev": self.prev,
            "merkle_root": self.merkle_root,
            "timestamp": self.timestamp,
            "bits": self.bits,
            "nonce": self.nonce,
            "miner": self.miner,
        }

    @classmethod
    def from_json(cls, obj: object) -> Header:
        d = expect_object(obj, "header", _HEADER_FIELDS)
        return cls(
            prev=get_hex(d, "prev", "header", 32),
            merkle_root=get_hex(d, "merkle_root", "header", 32),
            timestamp=get_int(d, "timestamp", "header"),
            bits=get_int(d, "bits", "header", maximum=MAX_BITS),
            nonce=get_int(d, "nonce", "header"),
            miner=get_hex(d, "miner", "header", 32),
        )


@dataclass(frozen=True, slots=True)
class Block:
    header: Header
    txs: tuple[Transaction, ...]

    @property
    def hash(self) -> str:
        return self.header.hash

    def to_json(self) -> dict[str, Any]:
        return {"header": self.header.to_json(), "txs": [t.to_json() for t in self.txs]}

    @classmethod
    def from_json(cls, obj: object, *, max_txs: int = 100_000) -> Block:
        d = expect_object(obj, "block", _BLOCK_FIELDS)
        txs = d["txs"]
        if not isinstance(txs, list):
            raise_decode("block.txs must be a list")
        if len(txs) > max_txs:
            raise_decode(f"block.txs has {len(txs)} entries, more than {max_txs}")
        return cls(Header.from_json(d["header"]), tuple(Transaction.from_json(t) for t in txs))


def work_of(bits: int) -> int:
    """Expected hashes to find a block at `bits`: fork choice sums these."""
    return 1 << bits


def meets_target(digest: bytes, bits: int) -> bool:
    return int.from_bytes(digest, "big") >> (256 - bits) == 0 if bits else True


def _leaf(txid: bytes) -> bytes:
    return sha256(b"\x00" + txid)


def _node(left: bytes, right: bytes) -> bytes:
    return sha256(b"\x01" + left + right)


def merkle_levels(txids: Sequence[str]) -> list[list[bytes]]:
    """Every level of the tree, leaves first; an odd level repeats its last node."""
    if not txids:
        return [[bytes(32)]]
    level = [_leaf(bytes.fromhex(t)) for t in txids]
    levels = [level]
    while len(level) > 1:
        if len(level) % 2:
            level = [*level, level[-1]]
            levels[-1] = level
        level = [_node(level[i], level[i + 1]) for i in range(0, len(level), 2)]
        levels.append(level)
    return levels


def merkle_root(txids: Sequence[str]) -> str:
    return _merkle_root(tuple(txids))


@lru_cache(maxsize=MERKLE_CACHE_SIZE)
def _merkle_root(txids: tuple[str, ...]) -> str:
    """Remembered per process, as `keys.verify`: a block's root is checked when its compact
    form is rebuilt and again when it connects, and a simulator's nodes all check each block."""
    return merkle_levels(txids)[-1][0].hex()


def merkle_step(current: bytes, sibling: bytes, sibling_is_left: bool) -> bytes:
    return _node(sibling, current) if sibling_is_left else _node(current, sibling)


def leaf_hash(txid: str) -> bytes:
    return _leaf(bytes.fromhex(txid))
