"""Batch signature checks in worker processes: good signatures are remembered so connecting
skips them; a bad one is not, so connecting still finds it and blames the sender."""

from __future__ import annotations

import asyncio
import dataclasses

from reference_node.core.validation import VerifiedTxids
from reference_node.p2p.verify import PARALLEL_MIN, SignatureChecker


def test_good_signatures_are_remembered_and_a_forged_one_is_not(harness):
    txs = [harness.transfer(i % 4, 1, 1, i // 4) for i in range(PARALLEL_MIN + 8)]
    forged = dataclasses.replace(txs[-1], amount=2)
    block = harness.block(txs=[*txs[:-1], forged])
    verified = VerifiedTxids(mempool={})
    checker = SignatureChecker(verified, workers=2)
    checker.start()
    try:
        asyncio.run(checker.check([block]))
    finally:
        checker.close()
    assert all(t.txid in verified for t in txs[:-1])
    assert forged.txid not in verified and block.txs[0].txid not in verified


def test_few_signatures_or_no_workers_are_left_to_connecting(harness):
    txs = [harness.transfer(0, 1, 1, n) for n in range(PARALLEL_MIN)]
    block = harness.block(txs=txs)
    for workers, batch in ((2, txs[:3]), (0, txs)):
        verified = VerifiedTxids(mempool={})
        checker = SignatureChecker(verified, workers)
        checker.start()
        try:
            asyncio.run(checker.check([harness.block(txs=batch)] if workers else [block]))
        finally:
            checker.close()
        assert not any(t.txid in verified for t in batch)


def test_the_remembered_txids_are_bounded_and_include_the_mempool():
    verified = VerifiedTxids(mempool={"m": None}, max_size=2)
    for txid in "abc":
        verified.add(txid)
    assert "m" in verified and "a" not in verified and "c" in verified
