import pytest

from reference_node.core.block import Block, Header
from reference_node.core.errors import InvalidBlock, TooNew
from reference_node.core.keys import account_address
from reference_node.core.mining import solve
from reference_node.core.params import GENESIS_BALANCE, MAX_FUTURE_MS
from reference_node.core.tx import make_coinbase


def test_blocks_extend_the_tip_and_pay_the_miner(harness):
    harness.extend(3)
    assert harness.chain.height == 3
    assert harness.chain.state.balance(harness.miner_a) == 3 * 50


def test_transfer_moves_coins_and_fee_goes_to_the_miner(harness):
    block = harness.block(txs=[harness.transfer(0, 1, 100, 0, fee=7)])
    harness.add(block)
    state = harness.chain.state
    assert state.balance(account_address(0)) == GENESIS_BALANCE - 107
    assert state.balance(account_address(1)) == GENESIS_BALANCE + 100
    assert state.nonce(account_address(0)) == 1
    assert state.balance(harness.miner_a) == 57


def test_most_work_wins_and_reorg_restores_state(harness):
    genesis = harness.chain.tip
    a = harness.extend(2)
    with_tx = harness.block(txs=[harness.transfer(0, 1, 5, 0)])
    harness.add(with_tx)
    b = harness.extend(3, parent=genesis, miner=harness.miner_b)
    assert harness.chain.tip.hash == with_tx.hash, "equal work: the first seen stays"
    update = harness.add(harness.block(parent=harness.chain.get(b[-1].hash), miner=harness.miner_b))
    assert harness.chain.height == 4
    assert update.reorg_depth() == 3
    assert harness.chain.state.balance(harness.miner_a) == 0
    assert harness.chain.state.nonce(account_address(0)) == 0
    assert [b.hash for b in update.disconnected][-1] == a[0].hash


def test_equal_work_keeps_the_first_seen_tip(harness):
    genesis = harness.chain.tip
    first = harness.extend(1)[0]
    harness.extend(1, parent=genesis, miner=harness.miner_b)
    assert harness.chain.tip.hash == first.hash


def test_block_with_bad_pow_is_rejected(harness):
    block = harness.block()
    bad = Block(block.header.with_nonce(block.header.nonce + 1), block.txs)
    if bad.header.has_valid_pow():
        pytest.skip("the neighbouring nonce happens to be a solution")
    with pytest.raises(InvalidBlock, match="bad-pow"):
        harness.add(bad)


def test_coinbase_paying_too_much_marks_the_block_invalid(harness):
    good = harness.block()
    coinbase = make_coinbase(harness.miner_a, 51, 1)
    header = good.header
    from reference_node.core.block import merkle_root

    unsolved = Header(
        header.prev, merkle_root([coinbase.txid]), header.timestamp, 4, 0, harness.miner_a
    )
    greedy = solve(Block(unsolved, (coinbase,)))
    harness.add(greedy)
    assert harness.chain.height == 0
    assert harness.chain.get(greedy.hash).invalid
    with pytest.raises(InvalidBlock, match="known-invalid"):
        harness.add(greedy)


def test_double_spend_in_one_chain_is_invalid(harness):
    spend1, spend2 = harness.transfer(0, 1, 5, 0), harness.transfer(0, 2, 5, 0)
    block = harness.block(txs=[spend1, spend2])
    harness.add(block)
    assert harness.chain.height == 0 and harness.chain.get(block.hash).invalid


def test_merkle_mismatch_does_not_poison_the_header(harness):
    block = harness.block()
    stripped = Block(block.header, (make_coinbase(harness.miner_a, 50, 2),))
    with pytest.raises(InvalidBlock, match="bad-merkle-root"):
        harness.add(stripped)
    harness.add(block)
    assert harness.chain.tip.hash == block.hash


def test_timestamp_far_in_the_future_is_refused_but_not_blacklisted(harness):
    block = harness.block()
    with pytest.raises(TooNew):
        harness.chain.add_block(block, block.header.timestamp - MAX_FUTURE_MS - 1)
    harness.add(block)
    assert harness.chain.height == 1


def test_orphan_is_reported_and_headers_first_then_bodies(harness):
    from reference_node.core.chain import ChainState, MemorySource

    blocks = harness.extend(5)
    fresh = ChainState(harness.chain.params, MemorySource())
    assert fresh.add_block(blocks[3], harness.clock).orphan
    update = fresh.add_headers([b.header for b in blocks], harness.clock)
    assert update.error is None and fresh.best_header.height == 5
    assert [e.hash for e in fresh.missing_blocks(10, 100)] == [b.hash for b in blocks]
    for block in reversed(blocks):
        fresh.add_block(block, harness.clock)
    assert fresh.tip.hash == blocks[-1].hash


def test_download_rounds_move_along_the_header_path_as_bodies_arrive(harness):
    from reference_node.core.chain import ChainState, MemorySource

    blocks = harness.extend(12)
    fresh = ChainState(harness.chain.params, MemorySource())
    fresh.add_headers([b.header for b in blocks], harness.clock)
    fresh.add_block(blocks[4], harness.clock)  # out of order: held, not asked for again
    asked = []
    while wanted := fresh.missing_blocks(3, 100):
        asked.append([e.height for e in wanted])
        for entry in wanted:
            fresh.add_block(blocks[entry.height - 1], harness.clock)
    assert asked == [[1, 2, 3], [4, 6, 7], [8, 9, 10], [11, 12]]
    assert fresh.tip.hash == blocks[-1].hash
    # a longer header chain after all that: only its new bodies are asked for
    more = harness.extend(2)
    fresh.add_headers([b.header for b in more], harness.clock)
    assert [e.height for e in fresh.missing_blocks(10, 100)] == [13, 14]


def test_an_orphan_without_proof_of_work_is_refused_not_kept(harness):
    from reference_node.core.chain import ChainState, MemorySource

    blocks = harness.extend(2)
    fresh = ChainState(harness.chain.params, MemorySource())
    forged = Block(blocks[1].header.with_nonce(blocks[1].header.nonce + 1), blocks[1].txs)
    if forged.header.has_valid_pow():
        pytest.skip("the neighbouring nonce happens to be a solution")
    with pytest.raises(InvalidBlock, match="bad-pow"):
        fresh.add_block(forged, harness.clock)
    assert fresh.add_block(blocks[1], harness.clock).orphan  # a real one is still kept


def test_locator_and_headers_after(harness):
    blocks = harness.extend(30)
    locator = harness.chain.locator()
    assert locator[0] == blocks[-1].hash and locator[-1] == harness.chain.genesis.hash
    assert len(locator) < 20
    after = harness.chain.headers_after([blocks[9].hash], 5)
    assert [h.hash for h in after] == [b.hash for b in blocks[10:15]]
    assert harness.chain.headers_after(["ff" * 32], 2)[0].hash == blocks[0].hash
