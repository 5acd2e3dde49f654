"""Helpers for core tests: a small chain at a trivial difficulty, blocks on any parent."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from reference_node.core.block import Block
from reference_node.core.chain import ChainState, ChainUpdate, Entry, MemorySource
from reference_node.core.keys import account_address, account_key
from reference_node.core.mining import build_block, solve
from reference_node.core.params import GENESIS_TIMESTAMP, ChainParams
from reference_node.core.tx import Transaction, make_transfer

PARAMS = ChainParams(difficulty=4, genesis_accounts=4, reward=50)
NOW = GENESIS_TIMESTAMP + 10**9
MINER_A = "aa" * 32
MINER_B = "bb" * 32


class Harness:
    """A ChainState over a MemorySource that records every update, like the store would."""

    miner_a = MINER_A
    miner_b = MINER_B

    def __init__(self, params: ChainParams = PARAMS) -> None:
        self.source = MemorySource()
        self.chain = ChainState(params, self.source)
        self.clock = NOW

    def block(
        self, parent: Entry | None = None, txs: Sequence[Transaction] = (), miner: str = MINER_A
    ) -> Block:
        self.clock += 1000
        return solve(build_block(self.chain, parent or self.chain.tip, txs, miner, self.clock))

    def add(self, block: Block) -> ChainUpdate:
        update = self.chain.add_block(block, self.clock)
        self.source.record(update)
        return update

    def extend(self, count: int, parent: Entry | None = None, miner: str = MINER_A) -> list[Block]:
        blocks = []
        for _ in range(count):
            block = self.block(parent, miner=miner)
            self.add(block)
            parent = self.chain.get(block.hash)
            blocks.append(block)
        return blocks

    @staticmethod
    def transfer(sender: int, recipient: int, amount: int, nonce: int, fee: int = 1) -> Transaction:
        """A signed transfer between genesis accounts."""
        return make_transfer(account_key(sender), account_address(recipient), amount, fee, nonce)


@pytest.fixture
def harness() -> Harness:
    return Harness()
