"""Compact blocks: encode, rebuild from a mempool, ask for what is missing, and fall back when a
short id is ambiguous or wrong."""

from __future__ import annotations

import pytest

from reference_node.core.errors import DecodeError
from reference_node.p2p import compact as compact_module
from reference_node.p2p.compact import CompactBlock, CompactFailed, rebuild, short_id


@pytest.fixture
def block_and_txs(harness):
    txs = [harness.transfer(0, 1, 10, n) for n in range(3)] + [harness.transfer(2, 3, 5, 0)]
    block = harness.block(txs=txs)
    return block, txs


def test_a_compact_block_survives_the_wire_and_rebuilds_from_a_full_mempool(block_and_txs):
    block, txs = block_and_txs
    compact = CompactBlock.from_json(CompactBlock.of(block).to_json())
    assert compact == CompactBlock.of(block)
    assert compact.prefilled == ((0, block.txs[0]),), "the coinbase travels whole"
    assert all(len(s) == 12 for s in compact.short_ids)
    partial = rebuild(compact, {t.txid: t for t in txs})
    assert partial.missing == []
    assert partial.complete() == block


def test_only_the_missing_transactions_are_requested(block_and_txs):
    block, txs = block_and_txs
    pool = {t.txid: t for t in txs if t is not txs[1]}
    partial = rebuild(CompactBlock.of(block), pool)
    assert partial.missing == [2], "index in the block: the coinbase is 0"
    assert partial.complete([txs[1]]) == block


def test_wrong_or_too_few_fetched_transactions_fail_rather_than_build_another_block(block_and_txs):
    block, txs = block_and_txs
    partial = rebuild(CompactBlock.of(block), {})
    with pytest.raises(CompactFailed, match="missing"):
        partial.complete(txs[:2])
    with pytest.raises(CompactFailed, match="merkle root"):
        partial.complete(list(reversed(txs)))


def test_two_mempool_txs_sharing_a_short_id_are_asked_for_not_guessed(block_and_txs, monkeypatch):
    block, txs = block_and_txs
    compact = CompactBlock.of(block)
    extra = txs[0].__class__(txs[0].sender, txs[0].recipient, 999, 1, 0, txs[0].signature)
    real_short_id = short_id

    def colliding(block_hash: str, txid: str) -> str:
        return real_short_id(block_hash, txs[0].txid if txid == extra.txid else txid)

    monkeypatch.setattr(compact_module, "short_id", colliding)
    partial = rebuild(compact, {t.txid: t for t in [*txs, extra]})
    assert partial.missing == [1]
    assert partial.complete([txs[0]]) == block


def test_a_colliding_id_that_matches_the_wrong_tx_is_caught_by_the_merkle_root(
    block_and_txs, monkeypatch
):
    block, txs = block_and_txs
    compact = CompactBlock.of(block)
    impostor = txs[0].__class__(txs[0].sender, txs[0].recipient, 999, 1, 0, txs[0].signature)
    real_short_id = short_id

    def colliding(block_hash: str, txid: str) -> str:
        return real_short_id(block_hash, txs[0].txid if txid == impostor.txid else txid)

    monkeypatch.setattr(compact_module, "short_id", colliding)
    partial = rebuild(compact, {t.txid: t for t in [impostor, *txs[1:]]})
    assert partial.missing == []
    with pytest.raises(CompactFailed, match="merkle root"):
        partial.complete()


def test_a_compact_block_repeating_a_short_id_cannot_be_rebuilt(block_and_txs):
    block, _ = block_and_txs
    compact = CompactBlock.of(block)
    twice = CompactBlock(compact.header, (compact.short_ids[0],) * 2, compact.prefilled)
    with pytest.raises(CompactFailed, match="repeats"):
        rebuild(twice, {})


@pytest.mark.parametrize(
    "change",
    [
        {"short_ids": ["zz" * 6]},
        {"short_ids": ["ab" * 7]},
        {"short_ids": "nope"},
        {"short_ids": ["ab" * 6] * 5001},
        {"prefilled": [{"index": 9, "tx": None}]},
        {"prefilled": [{"index": -1}]},
        {"extra": 1},
    ],
)
def test_malformed_compact_blocks_are_decode_errors(block_and_txs, change):
    raw = {**CompactBlock.of(block_and_txs[0]).to_json(), **change}
    with pytest.raises(DecodeError):
        CompactBlock.from_json(raw)


def test_prefilled_indexes_must_increase_and_stay_inside_the_block(block_and_txs):
    raw = CompactBlock.of(block_and_txs[0]).to_json()
    coinbase = raw["prefilled"][0]
    with pytest.raises(DecodeError, match="increasing"):
        CompactBlock.from_json({**raw, "prefilled": [coinbase, coinbase]})
    beyond = {**coinbase, "index": len(raw["short_ids"]) + 1}
    with pytest.raises(DecodeError, match="between"):
        CompactBlock.from_json({**raw, "prefilled": [beyond]})
