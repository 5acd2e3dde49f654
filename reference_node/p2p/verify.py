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
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from ..core import keys
from ..core.block import Block
from ..core.encoding import MAX_U63
from ..core.validation import VerifiedTxids

log = logging.getLogger("reference_node.p2p")

PARALLEL_MIN = 64
"""Fewer unchecked signatures than this are left to connecting: the round trip to the workers
(pickling, two context switches) costs more than checking a few dozen on the loop."""

PR_SET_PDEATHSIG = 1  # linux/prctl.h

Signed = tuple[str, bytes, bytes]
"""(sender address, signature, signed bytes)"""


def _verify_all(items: Sequence[Signed]) -> list[bool]:
    return [keys.verify(sender, signature, message) for sender, signature, message in items]


def _ready() -> None:
    """A no-op: submitting it starts the workers before real work arrives."""


def _die_with_the_node(node_pid: int) -> None:
    """Worker initializer: have Linux kill this worker when the node dies, even by SIGKILL (a
    crash fault, the OOM killer, `kill -9`), which the pool's own shutdown never sees; without
    it the workers lived on as orphans. Elsewhere prctl is missing and this does nothing."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != node_pid:  # the node died before prctl took effect
        os._exit(0)


class SignatureChecker:
    """`workers` processes (0: none, every signature is checked when its block connects)."""

    def __init__(self, verified: VerifiedTxids, workers: int) -> None:
        self.verified = verified
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        """Fork the workers now, before the miner's thread exists (`NodeApp.start` starts the
        peer manager first): a fork copies only the forking thread, and a lock another thread
        held would stay locked in the child. Forked workers share the node's pages and start at
        once; spawned ones would import the whole node again (a second, 60 MB each)."""
        if self.workers == 0:
            return
        context = multiprocessing.get_context("fork")
        self._pool = ProcessPoolExecutor(
            self.workers,
            mp_context=context,
            initializer=_die_with_the_node,
            initargs=(os.getpid(),),
        )
        self._pool.submit(_ready)  # with fork, the first task starts every worker

    async def check(self, blocks: Sequence[Block]) -> None:
        """Verify the unchecked signatures of `blocks` across the workers, remembering the good."""
        todo = [
            tx
            for block in blocks
            for tx in block.txs[1:]
            if tx.txid not in self.verified and not tx.is_coinbase and tx.amount + tx.fee <= MAX_U63
        ]
        if self._pool is None or len(todo) < PARALLEL_MIN:
            return
        loop = asyncio.get_running_loop()
        size = -(-len(todo) // self.workers)
        parts = [todo[i : i + size] for i in range(0, len(todo), size)]
        pool = self._pool
        try:
            answers = await asyncio.gather(
                *(
                    loop.run_in_executor(
                        pool,
                        _verify_all,
                        [(t.sender, t.signature_bytes(), t.signing_bytes()) for t in part],
                    )
                    for part in parts
                )
            )
        except BrokenProcessPool:
            # a worker died (OOM killer?): fork no new ones now that threads run; connecting
            # checks every signature on the loop from here on
            log.error("signature workers died; checking signatures on the event loop")
            self.close()
            return
        for part, oks in zip(parts, answers, strict=True):
            for tx, ok in zip(part, oks, strict=True):
                if ok:
                    self.verified.add(tx.txid)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
