"""Signature checks of many transactions at once, in worker processes, off the event loop.

Ed25519 verification in `cryptography` holds the GIL (measured: two threads verify no faster than
one, see docs/performance.md), so threads cannot spread it over cores; worker processes can, and
while they work the event loop keeps serving peers. Only what the node has not checked yet goes
out (mempool txs were checked on admission); the good txids are remembered in the node's
`VerifiedTxids`, so connecting, which stays in order on the event loop, skips them. A bad
signature is simply not remembered: connecting meets it and scores the sender as before.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from ..core import keys
from ..core.block import Block
from ..core.encoding import MAX_U63
from ..core.validation import VerifiedTxids

PARALLEL_MIN = 64
"""Fewer unchecked signatures than this are left to connecting: the round trip to the workers
(pickling, two context switches) costs more than checking a few dozen on the loop."""

Signed = tuple[str, bytes, bytes]
"""(sender address, signature, signed bytes)"""


def _verify_all(items: Sequence[Signed]) -> list[bool]:
    return [keys.verify(sender, signature, message) for sender, signature, message in items]


class SignatureChecker:
    """`workers` processes (0: none, every signature is checked when its block connects)."""

    def __init__(self, verified: VerifiedTxids, workers: int) -> None:
        self.verified = verified
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    async def check(self, blocks: Sequence[Block]) -> None:
        """Verify the unchecked signatures of `blocks` across the workers, remembering the good."""
        todo = [
            tx
            for block in blocks
            for tx in block.txs[1:]
            if tx.txid not in self.verified and not tx.is_coinbase and tx.amount + tx.fee <= MAX_U63
        ]
        if self.workers == 0 or len(todo) < PARALLEL_MIN:
            return
        if self._pool is None:
            # spawn, not fork: the node has threads (the miner's), which a fork would copy mid-step
            context = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(self.workers, mp_context=context)
        loop = asyncio.get_running_loop()
        size = -(-len(todo) // self.workers)
        parts = [todo[i : i + size] for i in range(0, len(todo), size)]
        answers = await asyncio.gather(
            *(
                loop.run_in_executor(
                    self._pool,
                    _verify_all,
                    [(t.sender, t.signature_bytes(), t.signing_bytes()) for t in part],
                )
                for part in parts
            )
        )
        for part, oks in zip(parts, answers, strict=True):
            for tx, ok in zip(part, oks, strict=True):
                if ok:
                    self.verified.add(tx.txid)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
