"""A block with valid proof of work whose transactions break the account state (a double spend)
is refused with a reason when it connects, and its sender is banned like any forger."""

from __future__ import annotations

from reference_node.core.chain import ChainState, MemorySource
from reference_node.core.keys import account_address, account_key
from reference_node.core.mining import build_block, solve
from reference_node.core.params import ChainParams
from reference_node.core.tx import make_transfer
from tests.integration.node.conftest import ACCOUNTS, DIFFICULTY


def test_a_double_spending_block_is_refused_and_its_sender_banned(spawn):
    node = spawn("victim")
    chain = ChainState(
        ChainParams(difficulty=DIFFICULTY, genesis_accounts=ACCOUNTS), MemorySource()
    )
    key = account_key(0)
    twins = (
        make_transfer(key, account_address(1), 5, 1, 0),
        make_transfer(key, account_address(2), 5, 1, 0),  # same sender, same nonce
    )
    block = solve(
        build_block(chain, chain.tip, twins, "dd" * 32, chain.genesis.header.timestamp + 1)
    )
    assert block.header.has_valid_pow()
    evil = {"x-chaosnet-node": "forger"}
    answer = node.post("/p2p/block", json={"block": block.to_json()}, headers=evil)
    assert answer.status_code == 400, answer.text
    assert "bad-state" in answer.text
    assert node.height() == 0  # the honest chain never took it
    again = node.post("/p2p/getheaders", json={"locator": []}, headers=evil)
    assert again.status_code == 403  # banned
    assert node.get("/health").json() == {"ok": True}
