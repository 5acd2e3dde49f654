import pytest

from reference_node.core import spv
from reference_node.core.block import Block, Header, merkle_root
from reference_node.core.errors import DecodeError
from reference_node.core.genesis import genesis_block
from reference_node.core.mining import grind


def test_header_serialisation_is_fixed_width_and_round_trips():
    header = Header("11" * 32, "22" * 32, 123, 4, 99, "33" * 32)
    assert len(header.serialize()) == 116
    assert Header.deserialize(header.serialize()) == header
    assert Header.from_json(header.to_json()).hash == header.hash


def test_grinding_finds_the_required_leading_zero_bits():
    header = Header("11" * 32, "22" * 32, 123, 12, 0, "33" * 32)
    solved = grind(header, 0, 1 << 20)
    assert solved is not None and solved.has_valid_pow()
    assert int(solved.hash, 16) >> (256 - 12) == 0


def test_genesis_depends_on_difficulty_and_accounts_only():
    assert genesis_block(8, 10).hash == genesis_block(8, 10).hash
    assert genesis_block(8, 10).hash != genesis_block(9, 10).hash
    assert genesis_block(8, 10).hash != genesis_block(8, 11).hash


def test_merkle_root_changes_with_order_and_content():
    a, b, c = "01" * 32, "02" * 32, "03" * 32
    assert merkle_root([a, b, c]) != merkle_root([b, a, c])
    assert merkle_root([a, b]) != merkle_root([a, b, c])


def test_block_json_rejects_unknown_fields():
    with pytest.raises(DecodeError, match="unknown"):
        Block.from_json({"header": {}, "txs": [], "x": 1})


@pytest.mark.parametrize("count", [1, 2, 3, 5, 8])
def test_spv_proof_of_every_tx_verifies_and_a_tampered_one_does_not(harness, count):
    txs = [harness.transfer(i % 4, (i + 1) % 4, 1, i // 4) for i in range(count - 1)]
    block = harness.block(txs=txs)
    for tx in block.txs:
        proof = spv.make_proof(block, tx.txid)
        assert spv.verify_proof(proof, block.header)
        assert spv.verify_proof(proof, block.header.to_json())
        assert not spv.verify_proof({**proof, "txid": "ff" * 32}, block.header)
        if proof["branch"]:
            bad = [("00" * 32), *proof["branch"][1:]]
            assert not spv.verify_proof({**proof, "branch": bad}, block.header)
    other = harness.block()
    assert not spv.verify_proof(spv.make_proof(block, block.txs[0].txid), other.header)


def test_spv_verify_is_total_on_garbage(harness):
    block = harness.block()
    for junk in (
        {},
        {"txid": 1, "index": 0, "branch": []},
        {"txid": "aa", "index": "0", "branch": 5},
    ):
        assert spv.verify_proof(junk, block.header) is False
    assert spv.verify_proof(spv.make_proof(block, block.txs[0].txid), {"prev": 1}) is False
