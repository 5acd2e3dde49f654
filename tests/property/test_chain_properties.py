"""Fork choice, reorgs and the mempool over random block trees delivered in random order."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_node.core.block import Block
from reference_node.core.chain import ChainState, MemorySource
from reference_node.core.errors import InvalidBlock, InvalidTx
from reference_node.core.keys import account_address, account_key
from reference_node.core.mempool import Mempool
from reference_node.core.mining import build_block, solve
from reference_node.core.orphans import OrphanPool
from reference_node.core.params import GENESIS_TIMESTAMP, ChainParams
from reference_node.core.state import AccountState
from reference_node.core.tx import make_transfer

PARAMS = ChainParams(difficulty=2, genesis_accounts=3, reward=10)
NOW = GENESIS_TIMESTAMP + 10**9
# Signed once: sender x nonce x recipient. Two recipients per (sender, nonce) = double spends.
TXS = {
    (s, n, r): make_transfer(account_key(s), account_address(r), 5 + r, 1 + r, n)
    for s in range(3)
    for n in range(4)
    for r in range(2)
}
MINERS = ["aa" * 32, "bb" * 32]

block_plan = st.lists(
    st.tuples(
        st.integers(0, 10**6),  # parent choice (modulo the blocks so far)
        st.lists(st.tuples(st.integers(0, 2), st.integers(0, 1), st.booleans()), max_size=3),
        st.integers(0, 1),  # miner
    ),
    min_size=1,
    max_size=14,
)


def _state_at(blocks: dict[str, Block], parents: dict[str, str | None], tip: str | None):
    """Replay a branch from genesis into a fresh state: the reference the chain must match."""
    chain = []
    while tip is not None:
        chain.append(blocks[tip])
        tip = parents[tip]
    state = AccountState(ChainState(PARAMS, MemorySource()).state.accounts)
    for height, block in enumerate(reversed(chain), start=1):
        try:
            state.apply_block(block, PARAMS.reward, height)
        except InvalidBlock:
            return None
    return state


def _build_tree(plan):
    """Blocks in creation order; txs use each sender's next nonce on that branch, or a stale one."""
    scratch = ChainState(PARAMS, MemorySource())
    blocks: dict[str, Block] = {}
    parents: dict[str, str | None] = {}
    order: list[str] = []
    entries = [scratch.tip]
    for i, (parent_pick, tx_picks, miner) in enumerate(plan):
        parent = entries[parent_pick % len(entries)]
        parent_key = None if parent.height == 0 else parent.hash
        state = _state_at(blocks, parents, parent_key) or AccountState()
        txs, used = [], set()
        for sender, recipient, stale in tx_picks:
            next_nonce = state.nonce(account_address(sender)) + sum(
                1 for u in used if u[0] == sender
            )
            nonce = max(0, next_nonce - 1) if stale else next_nonce
            tx = TXS.get((sender, nonce, recipient))
            if tx is not None and (sender, nonce) not in used:
                txs.append(tx)
                used.add((sender, nonce))
        block = solve(build_block(scratch, parent, txs, MINERS[miner], NOW + i))
        update = scratch.add_headers([block.header], NOW + 10**6)
        assert update.error is None
        blocks[block.hash] = block
        parents[block.hash] = parent_key
        order.append(block.hash)
        entries.append(scratch.get(block.hash))
    return blocks, parents, order


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=block_plan, data=st.data())
def test_chain_invariants_hold_for_any_tree_in_any_order(plan, data):
    blocks, parents, order = _build_tree(plan)
    delivery = data.draw(st.permutations(order))
    chain = ChainState(PARAMS, source := MemorySource())
    pool, orphans = Mempool(), OrphanPool()
    for tx in data.draw(
        st.lists(st.sampled_from(sorted(TXS.values(), key=lambda t: t.txid)), max_size=4)
    ):
        with contextlib.suppress(InvalidTx):
            pool.add(tx, chain.state)
    seen_txs = {t.txid: t for t in pool}

    def deliver(block: Block) -> None:
        try:
            update = chain.add_block(block, NOW + 10**6)
        except InvalidBlock:
            return
        if update.orphan:
            orphans.add(block)
            return
        source.record(update)
        seen_txs.update({t.txid: t for b in update.connected for t in b.txs[1:]})
        pool.apply_chain_update(update, chain.state)
        for child in orphans.pop_children(block.hash):
            deliver(child)

    for block_hash in delivery:
        block = blocks[block_hash]
        deliver(block)
        # 1. the tip carries the most work among blocks that can be connected
        viable = [
            e
            for e in chain.entries.values()
            if e.chain_has_data and not e.invalid and not e.unreachable
        ]
        assert chain.tip.work == max(e.work for e in viable)

    # 2. state equals a replay of the winning chain from genesis
    tip_key = None if chain.height == 0 else chain.tip.hash
    assert _state_at(blocks, parents, tip_key).accounts == chain.state.accounts

    # 3. double spends: at most one tx per (sender, nonce) in the active chain
    active_txs = [t for e in chain.active[1:] for t in chain.get_block(e.hash).txs[1:]]
    spends = [(t.sender, t.nonce) for t in active_txs]
    assert len(spends) == len(set(spends))

    # 4. no valid tx that was ever in the active chain or the mempool disappears:
    #    it is in the chain, in the mempool, or its nonce is used up
    in_chain = {t.txid for t in active_txs}
    for tx in seen_txs.values():
        usable = tx.nonce >= chain.state.nonce(tx.sender)
        assert tx.txid in in_chain or tx.txid in pool or not usable or _conflicting(pool, tx), tx

    # a block is only ever marked invalid when its branch really fails to replay
    for block_hash in order:
        entry = chain.get(block_hash)
        if entry is None or entry.invalid:  # None: refused for building on an invalid block
            assert _state_at(blocks, parents, block_hash) is None


def _conflicting(pool: Mempool, tx) -> bool:
    """Another tx with the same sender and nonce holds the slot (replace-by-fee lost)."""
    rival = pool.by_sender.get(tx.sender, {}).get(tx.nonce)
    return rival is not None and rival.txid != tx.txid
