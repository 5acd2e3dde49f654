"""Block templates, nonce grinding, and the simulated miner's clock as a pure function of a seed.

Simulated mining makes hashrate a parameter instead of a property of the CPU: a node with share h
finds its next block after an exponential delay of mean block_interval / h, drawn from a generator
seeded by (seed, node id), so a scenario replays the same block timing. The block still carries a
real proof of work at the (low) network difficulty.
"""

from __future__ import annotations

import hashlib
import math
import random
import struct
from collections.abc import Sequence

from .block import Block, Header, merkle_root
from .chain import ChainState, Entry
from .mempool import Mempool
from .params import MAX_BLOCK_TXS
from .tx import Transaction, make_coinbase
from .validation import median


def build_template(
    chain: ChainState, mempool: Mempool, miner: str, now_ms: int, max_txs: int = MAX_BLOCK_TXS
) -> Block:
    """An unsolved block on the current tip paying reward and fees to `miner`."""
    txs = mempool.select(chain.state, max_txs)
    return build_block(chain, chain.tip, txs, miner, now_ms)


def build_block(
    chain: ChainState, parent: Entry, txs: Sequence[Transaction], miner: str, now_ms: int
) -> Block:
    """An unsolved block on any known `parent` (a persona's private tip, a test's fork)."""
    height = parent.height + 1
    coinbase = make_coinbase(miner, chain.params.reward + sum(t.fee for t in txs), height)
    body = (coinbase, *txs)
    timestamp = max(now_ms, median(chain.ancestor_times(parent)) + 1)
    header = Header(
        parent.hash,
        merkle_root([t.txid for t in body]),
        timestamp,
        chain.params.difficulty,
        0,
        miner,
    )
    return Block(header, body)


def grind(header: Header, start_nonce: int, tries: int) -> Header | None:
    """Try `tries` nonces from `start_nonce`; the solved header, or None to be called again."""
    raw = header.serialize()
    prefix = hashlib.sha256(raw[:76])
    suffix = raw[84:]
    shift = 256 - header.bits
    pack = struct.Struct(">Q").pack
    for nonce in range(start_nonce, min(start_nonce + tries, 2**64)):
        h = prefix.copy()
        h.update(pack(nonce) + suffix)
        if int.from_bytes(h.digest(), "big") >> shift == 0:
            return header.with_nonce(nonce)
    return None


def solve(block: Block) -> Block:
    """Grind until solved: fine at test difficulties, blocks the caller at real ones."""
    nonce = 0
    while True:
        header = grind(block.header, nonce, 1 << 16)
        if header is not None:
            return Block(header, block.txs)
        nonce += 1 << 16


def timer_seed(seed: int, node_id: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{node_id}".encode()).digest()[:8], "big")


class BlockTimer:
    """Successive delays (seconds) to this node's next simulated block."""

    def __init__(self, seed: int, node_id: str, hashrate: float, block_interval: float) -> None:
        self.rng = random.Random(timer_seed(seed, node_id))
        self.rate = hashrate / block_interval if hashrate > 0 and block_interval > 0 else 0.0

    def next_delay(self) -> float:
        return self.rng.expovariate(self.rate) if self.rate > 0 else math.inf


def block_delays(
    seed: int, node_id: str, hashrate: float, block_interval: float, count: int
) -> list[float]:
    timer = BlockTimer(seed, node_id, hashrate, block_interval)
    return [timer.next_delay() for _ in range(count)]
