"""Unconfirmed transactions: ordered by fee, aware of per-sender nonce sequences, bounded.

A transaction is only useful when every lower nonce of its sender is mined first, so templates take
each sender's run of consecutive nonces starting at the account's next nonce, highest fee first. A
second transaction with the same sender and nonce replaces the first only with a strictly higher fee
(replace-by-fee); otherwise it is refused as a double spend.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

from .chain import ChainUpdate
from .errors import InvalidTx
from .state import AccountState
from .tx import Transaction


class Mempool:
    def __init__(self, max_size: int = 10_000, max_nonce_gap: int = 64) -> None:
        self.max_size = max_size
        self.max_nonce_gap = max_nonce_gap
        self.txs: dict[str, Transaction] = {}
        self.by_sender: dict[str, dict[int, Transaction]] = {}
        self.loses_deep_reorg_txs = False  # a planted bug for `chaosnet explore`'s tests only
        # every sender's last transaction, cheapest first, beside entries that stopped being a
        # leaf, dropped when met: a full mempool finds its eviction without a scan of the senders
        self._leaves: list[tuple[int, str, Transaction]] = []

    def __len__(self) -> int:
        return len(self.txs)

    def __contains__(self, txid: object) -> bool:
        return txid in self.txs

    def __iter__(self) -> Iterator[Transaction]:
        return iter(list(self.txs.values()))

    def add(
        self,
        tx: Transaction,
        state: AccountState,
        *,
        verified: bool = False,
        check_funds: bool = True,
    ) -> list[Transaction]:
        """Admit `tx` or raise InvalidTx; returns the transactions it pushed out (replaced/evicted).

        `check_funds=False` is for transactions a reorg returns: they may rely on coins that other
        pending transactions will bring, and dropping them would lose valid payments.
        """
        if tx.txid in self.txs:
            raise InvalidTx("already-known", f"tx {tx.txid} is already in the mempool", penalty=0)
        if not verified:
            tx.check_signature()
        expected = state.nonce(tx.sender)
        if tx.nonce < expected:
            raise InvalidTx(
                "nonce-too-low", f"nonce {tx.nonce} already used (next is {expected})", penalty=0
            )
        if tx.nonce > expected + self.max_nonce_gap:
            raise InvalidTx(
                "nonce-gap",
                f"nonce {tx.nonce} is more than {self.max_nonce_gap} ahead of {expected}",
                penalty=0,
            )
        pending = self.by_sender.get(tx.sender, {})
        rival = pending.get(tx.nonce)
        if rival is not None and tx.fee <= rival.fee:
            raise InvalidTx(
                "double-spend",
                f"tx {rival.txid} already spends nonce {tx.nonce} with fee {rival.fee}; "
                "a replacement needs a higher fee",
                penalty=0,
            )
        if check_funds:
            committed = sum(t.amount + t.fee for n, t in pending.items() if n != tx.nonce)
            if committed + tx.amount + tx.fee > state.balance(tx.sender):
                raise InvalidTx(
                    "insufficient-funds",
                    f"balance {state.balance(tx.sender)} cannot pay {tx.amount + tx.fee} "
                    f"on top of {committed} pending",
                    penalty=0,
                )
        removed: list[Transaction] = []
        if rival is not None:
            self._remove(rival)
            removed.append(rival)
        elif len(self.txs) >= self.max_size:
            victim = self._eviction_candidate()
            if victim.fee >= tx.fee:
                raise InvalidTx(
                    "mempool-full", f"mempool full; fee must exceed {victim.fee}", penalty=0
                )
            self._remove(victim)
            removed.append(victim)
        self.txs[tx.txid] = tx
        pending = self.by_sender.setdefault(tx.sender, {})
        pending[tx.nonce] = tx
        if tx.nonce == max(pending):
            self._push_leaf(tx)
        return removed

    def remove(self, txids: Iterable[str]) -> list[Transaction]:
        out = [self.txs[t] for t in txids if t in self.txs]
        for tx in out:
            self._remove(tx)
        return out

    def apply_chain_update(
        self, update: ChainUpdate, state: AccountState
    ) -> tuple[list[Transaction], list[str]]:
        """Follow the chain: confirmed txs leave, txs of disconnected blocks come back if usable.

        Returns (added, removed txids) so the store can persist the change with the block.
        """
        if not update.ops:
            return [], []
        final: dict[str, tuple[Transaction, bool]] = {}
        for op in update.ops:
            for t in op.block.txs[1:]:
                final[t.txid] = (t, op.kind == "connect")
        removed = [t.txid for t in self.remove(t for t, (_, kept) in final.items() if kept)]
        returned = sorted(
            (t for t, kept in final.values() if not kept), key=lambda t: (t.sender, t.nonce)
        )
        if self.loses_deep_reorg_txs and update.reorg_depth() > 2:
            returned = []
        added: list[Transaction] = []
        for tx in returned:
            try:
                evicted = self.add(tx, state, verified=True, check_funds=False)
            except InvalidTx:
                continue
            added.append(tx)
            removed += [t.txid for t in evicted]
        senders = {t.sender for b in update.connected + update.disconnected for t in b.txs}
        stale = self.remove_stale(state, senders)
        removed += [t.txid for t in stale]
        stale_ids = {t.txid for t in stale}
        return [t for t in added if t.txid not in stale_ids], removed

    def remove_stale(self, state: AccountState, senders: Iterable[str]) -> list[Transaction]:
        """Drop transactions of `senders` whose nonce the chain has used (mined or conflicting)."""
        stale = [
            tx
            for s in set(senders)
            for n, tx in self.by_sender.get(s, {}).items()
            if n < state.nonce(s)
        ]
        for tx in stale:
            self._remove(tx)
        return stale

    def select(self, state: AccountState, max_txs: int) -> list[Transaction]:
        """Highest fee first, each sender's nonces in order, each affordable when it runs."""
        balances: dict[str, int] = {}

        def balance(address: str) -> int:
            return balances.get(address, state.balance(address))

        heap: list[tuple[int, str, Transaction]] = []
        for sender, pending in self.by_sender.items():
            first = pending.get(state.nonce(sender))
            if first is not None:
                heap.append((-first.fee, first.txid, first))
        heapq.heapify(heap)
        chosen: list[Transaction] = []
        while heap and len(chosen) < max_txs:
            _, _, tx = heapq.heappop(heap)
            if balance(tx.sender) < tx.amount + tx.fee:
                continue
            balances[tx.sender] = balance(tx.sender) - tx.amount - tx.fee
            balances[tx.recipient] = balance(tx.recipient) + tx.amount
            chosen.append(tx)
            following = self.by_sender[tx.sender].get(tx.nonce + 1)
            if following is not None:
                heapq.heappush(heap, (-following.fee, following.txid, following))
        return chosen

    def _eviction_candidate(self) -> Transaction:
        """The cheapest transaction that no other pending one depends on (a sender's last);
        ties go to the lowest txid."""
        while True:
            _, txid, tx = self._leaves[0]
            if self.txs.get(txid) is tx and tx.nonce == max(self.by_sender[tx.sender]):
                return tx
            heapq.heappop(self._leaves)

    def _push_leaf(self, tx: Transaction) -> None:
        if len(self._leaves) > 2 * len(self.by_sender) + 64:  # mostly former leaves: rebuild
            self._leaves = [
                (t.fee, t.txid, t) for t in (p[max(p)] for p in self.by_sender.values())
            ]
            heapq.heapify(self._leaves)
        heapq.heappush(self._leaves, (tx.fee, tx.txid, tx))

    def _remove(self, tx: Transaction) -> None:
        del self.txs[tx.txid]
        pending = self.by_sender[tx.sender]
        del pending[tx.nonce]
        if not pending:
            del self.by_sender[tx.sender]
        elif tx.nonce > (last := max(pending)):  # it was the sender's last: now `last` is
            self._push_leaf(pending[last])
