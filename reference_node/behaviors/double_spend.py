"""Double spend by a private chain: pay a merchant in public, take the money back in private.

One attempt: once in sync, pay the victim (its miner address, as a merchant would be paid) from a
genesis account and start mining privately on the tip of that moment; the first private block
carries a conflicting transfer (same sender and nonce, paying the attacker). When the payment has
`confirmations` public confirmations and the private chain is longer than the public one, release
it: nodes reorganise onto it and the payment disappears. Behind by `give_up` blocks, abandon.
Attempts repeat (up to `attempts`, 0 = forever); each step is logged.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from ..core.chain import Entry
from ..core.errors import InvalidTx, ValidationError
from ..core.keys import account_key, address_of, miner_key
from ..core.tx import Transaction, make_transfer
from .base import PersonaError, Stats
from .private import PrivateChain


class DoubleSpend(PrivateChain):
    name = "double-spend"
    accepted_args = frozenset(
        {"victim", "confirmations", "give_up", "amount", "account", "attempts"}
    )

    def __init__(self, args: dict[str, str]) -> None:
        super().__init__(args)
        self.victim = args.get("victim", "")
        self.confirmations = self.int_arg("confirmations", 6, 1, 1000)
        self.give_up = self.int_arg("give_up", 10, 1, 10_000)
        self.amount = self.int_arg("amount", 1000, 1, 10**12)
        self.account = self.int_arg("account", -1, -1, 10**6)
        self.attempts = self.int_arg("attempts", 0, 0, 10**6)
        if self.victim and ":" in self.victim:
            raise PersonaError(f"persona {self.name!r}: victim={self.victim!r} must be a node id")
        self.payment: Transaction | None = None
        self.conflict: Transaction | None = None
        self.base: Entry | None = None
        self.started = 0
        self.succeeded = 0
        self.gave_up = 0
        self.confirmed_at_release = 0
        self.reorg_depth = 0
        self._done = asyncio.Event()

    def stats(self) -> Stats:
        return {
            **super().stats(),
            "attempts": self.started,
            "succeeded": self.succeeded,
            "gave_up": self.gave_up,
            "payment": self.payment.txid if self.payment else "",
            "conflict": self.conflict.txid if self.conflict else "",
            "payment_confirmations": self.payment_confirmations(),
            "confirmed_at_release": self.confirmed_at_release,
            "reorg_depth": self.reorg_depth,
        }

    async def attack(self) -> None:
        while not self.attempts or self.started < self.attempts or self.branch is not None:
            if self.branch is None:  # else an attempt restored from before a restart goes on
                while not self.synced() or not self._pay():
                    await asyncio.sleep(0.5)
            self._done.clear()
            await self._done.wait()
            await asyncio.sleep(1.0)

    def saved_extra(self) -> dict[str, Any]:
        return {
            "payment": None if self.payment is None else self.payment.to_json(),
            "conflict": None if self.conflict is None else self.conflict.to_json(),
            "base": None if self.base is None else self.base.hash,
            "started": self.started,
            "succeeded": self.succeeded,
            "gave_up": self.gave_up,
        }

    def restore_extra(self, state: dict[str, Any]) -> None:
        try:
            self.payment = Transaction.from_json(state["payment"]) if state["payment"] else None
            self.conflict = Transaction.from_json(state["conflict"]) if state["conflict"] else None
            self.started, self.succeeded, self.gave_up = (
                int(state["started"]),
                int(state["succeeded"]),
                int(state["gave_up"]),
            )
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            self.say("ignoring a saved attempt that does not parse: %s", exc)
        base = state.get("base")
        self.base = self.node.chain.get(base) if isinstance(base, str) else None
        if self.base is None or self.conflict is None:
            self.withheld.clear()
            self.branch = None

    def _pay(self) -> bool:
        """Start an attempt: broadcast the payment, fork privately at the current tip."""
        node = self.node
        connected = self.peers.connected()
        if not (self.victim or connected):
            return False
        victim = self.victim or connected[0].node_id
        accounts = node.params.genesis_accounts
        index = self.account if self.account >= 0 else max(accounts - 1, 0)
        key = account_key(index)
        sender = address_of(key)
        nonce = node.chain.state.nonce(sender)
        payment = make_transfer(key, address_of(miner_key(victim)), self.amount, 1, nonce)
        conflict = make_transfer(key, node.miner_address, self.amount, 1, nonce)
        try:
            node.submit_tx(payment)
        except InvalidTx as exc:
            self.say("payment from account %d refused by our own node (%s); retrying", index, exc)
            return False
        self.started += 1
        self.payment, self.conflict = payment, conflict
        self.base = self.branch = node.chain.tip
        self.save()
        self.say(
            "attempt %d: paid %s %d coins (tx %s, account %d nonce %d); mining a private chain "
            "from height %d with the conflicting tx %s",
            self.started,
            victim,
            self.amount,
            payment.txid[:16],
            index,
            nonce,
            self.base.height,
            conflict.txid[:16],
        )
        return True

    def payment_confirmations(self) -> int:
        if self.payment is None:
            return 0
        height = self.node.tx_height(self.payment.txid)
        return 0 if height is None else self.node.chain.height - height + 1

    def private_txs(self) -> Sequence[Transaction]:
        return (self.conflict,) if self.conflict is not None and not self.withheld else ()

    def on_private_block(self) -> None:
        self.react()

    def react(self) -> None:
        assert self.branch is not None and self.base is not None
        public = self.node.chain.height
        if public - self.branch.height >= self.give_up:
            self.gave_up += 1
            self.say(
                "attempt %d: gave up, the public chain is %d blocks ahead; the payment stands "
                "with %d confirmations",
                self.started,
                public - self.branch.height,
                self.payment_confirmations(),
            )
            self._finish()
            return
        confirmations = self.payment_confirmations()
        if not self.withheld or self.branch.height <= public:
            return
        if confirmations < self.confirmations:
            return
        depth = public - self.base.height
        self.confirmed_at_release = confirmations
        released = self.release(len(self.withheld))
        reversed_ = self.payment_confirmations() == 0
        if reversed_:
            self.succeeded += 1
            self.reorg_depth = depth
        self.say(
            "attempt %d: released %d private blocks over %d public ones; the payment with %d "
            "confirmations was %s",
            self.started,
            len(released),
            depth,
            confirmations,
            "reversed (double spend succeeded)" if reversed_ else "NOT reversed",
        )
        self._finish()

    def _finish(self) -> None:
        self.withheld.clear()
        self.branch = None
        self.save()
        self._done.set()
