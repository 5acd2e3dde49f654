"""Account state: balances and next nonces, with undo records so a reorg can step back exactly."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .block import Block
from .errors import InvalidBlock, InvalidTx
from .tx import Transaction


@dataclass(frozen=True, slots=True)
class Undo:
    """Prior (balance, nonce) of every account a block touched; None when it did not exist."""

    prior: tuple[tuple[str, tuple[int, int] | None], ...]

    def to_json(self) -> list[Any]:
        return [[a, list(v) if v else None] for a, v in self.prior]

    @classmethod
    def from_json(cls, obj: list[Any]) -> Undo:
        return cls(tuple((a, (v[0], v[1]) if v else None) for a, v in obj))


class AccountState:
    """Balances and nonces of every account that ever held coins; mutable, owned by the chain."""

    def __init__(self, accounts: Mapping[str, tuple[int, int]] | None = None) -> None:
        self.accounts: dict[str, tuple[int, int]] = dict(accounts or {})

    def copy(self) -> AccountState:
        return AccountState(self.accounts)

    def balance(self, address: str) -> int:
        return self.accounts.get(address, (0, 0))[0]

    def nonce(self, address: str) -> int:
        """The nonce the account's next transaction must carry."""
        return self.accounts.get(address, (0, 0))[1]

    def check_tx(self, tx: Transaction) -> None:
        """Can `tx` apply on top of this state? (Signature checked elsewhere, once.)"""
        expected = self.nonce(tx.sender)
        if tx.nonce != expected:
            reason = "nonce-too-low" if tx.nonce < expected else "nonce-gap"
            raise InvalidTx(reason, f"nonce {tx.nonce}, account expects {expected}", penalty=0)
        if self.balance(tx.sender) < tx.amount + tx.fee:
            raise InvalidTx(
                "insufficient-funds",
                f"needs {tx.amount + tx.fee}, balance {self.balance(tx.sender)}",
                penalty=0,
            )

    def apply_block(self, block: Block, reward: int, height: int) -> Undo:
        """Apply every transaction of `block` or raise InvalidBlock leaving the state untouched."""
        prior: dict[str, tuple[int, int] | None] = {}

        def touch(address: str) -> None:
            if address not in prior:
                prior[address] = self.accounts.get(address)

        coinbase, txs = block.txs[0], block.txs[1:]
        try:
            for tx in txs:
                self.check_tx(tx)
                touch(tx.sender)
                touch(tx.recipient)
                balance, nonce = self.accounts[tx.sender]
                self.accounts[tx.sender] = (balance - tx.amount - tx.fee, nonce + 1)
                r_balance, r_nonce = self.accounts.get(tx.recipient, (0, 0))
                self.accounts[tx.recipient] = (r_balance + tx.amount, r_nonce)
        except InvalidTx as exc:
            self.undo(Undo(tuple(prior.items())))
            raise InvalidBlock("bad-tx", f"tx {tx.txid}: {exc}") from exc
        fees = sum(t.fee for t in txs)
        if coinbase.amount != reward + fees:
            self.undo(Undo(tuple(prior.items())))
            raise InvalidBlock(
                "bad-coinbase-amount",
                f"coinbase pays {coinbase.amount}, reward+fees={reward + fees}",
            )
        touch(coinbase.recipient)
        m_balance, m_nonce = self.accounts.get(coinbase.recipient, (0, 0))
        self.accounts[coinbase.recipient] = (m_balance + coinbase.amount, m_nonce)
        return Undo(tuple(prior.items()))

    def undo(self, undo: Undo) -> None:
        for address, value in undo.prior:
            if value is None:
                self.accounts.pop(address, None)
            else:
                self.accounts[address] = value

    def changed(self, addresses: Iterable[str]) -> dict[str, tuple[int, int] | None]:
        """Current values of `addresses`, for the store to persist after a block (dis)connects."""
        return {a: self.accounts.get(a) for a in addresses}
