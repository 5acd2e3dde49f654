"""Double spend by a private chain: pay a merchant in public, take the money back in private.

The model is Rosenfeld's (2012), which `chaosnet.theory.double_spend_rosenfeld` computes:
  * pre-mining (`premine`, default 1): once in sync, mine privately on the tip, the first private
    block carrying a conflicting transfer (same sender and nonce as the payment, paying the
    attacker); only when that block is found, pay the victim (its miner address, as a merchant
    would be paid) from a genesis account. Should a public block come first, start over on it.
    With `premine=0` the payment goes out at once and the private chain starts then;
  * the merchant waits for `confirmations` (z): the block holding the payment and z-1 on top;
  * release: when the payment has z confirmations and the private chain is longer (more work)
    than the public one, publish it; nodes reorganise onto it and the payment disappears;
  * give up `give_up` blocks behind (Rosenfeld never gives up; the closed form takes it);
  * attempts repeat (up to `attempts`, 0 = forever), none started later than `start_within`
    seconds after the attack began (0 = no limit); each step is logged.

`start_within` is what lets a sweep count every attempt of a run without bias: which attempts
start before the cutoff depends only on the attempts before them, so their success rate is the
closed form's, while a run cut off at a fixed time would drop the long attempt in flight, and long
attempts are more often failures (docs/attacks.md).
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
        {
            "victim",
            "confirmations",
            "give_up",
            "amount",
            "account",
            "attempts",
            "premine",
            "start_within",
        }
    )

    def __init__(self, args: dict[str, str]) -> None:
        super().__init__(args)
        self.victim = args.get("victim", "")
        self.confirmations = self.int_arg("confirmations", 6, 1, 1000)
        self.give_up = self.int_arg("give_up", 10, 1, 10_000)
        self.amount = self.int_arg("amount", 1000, 1, 10**12)
        self.account = self.int_arg("account", -1, -1, 10**6)
        self.attempts = self.int_arg("attempts", 0, 0, 10**6)
        self.premine = self.int_arg("premine", 1, 0, 1)
        self.start_within = self.float_arg("start_within", 0.0, 0.0, 10.0**7)
        if self.victim and ":" in self.victim:
            raise PersonaError(f"persona {self.name!r}: victim={self.victim!r} must be a node id")
        self.payment: Transaction | None = None
        self.conflict: Transaction | None = None
        self.pending: Transaction | None = None
        """The payment of an attempt still pre-mining; sent once its first private block is."""
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
            "open": int(self.branch is not None and self.payment is not None),
            "confirmed_at_release": self.confirmed_at_release,
            "reorg_depth": self.reorg_depth,
        }

    async def attack(self) -> None:
        loop = asyncio.get_running_loop()
        last_start = loop.time() + self.start_within if self.start_within else float("inf")
        while self.branch is not None or (
            (not self.attempts or self.started < self.attempts) and loop.time() <= last_start
        ):
            if self.branch is None:  # else an attempt restored from before a restart goes on
                while not self.synced() or not self._fork():
                    await asyncio.sleep(0.5)
            self._done.clear()
            await self._done.wait()
            await asyncio.sleep(1.0)

    def saved_extra(self) -> dict[str, Any]:
        return {
            "payment": None if self.payment is None else self.payment.to_json(),
            "conflict": None if self.conflict is None else self.conflict.to_json(),
            "pending": None if self.pending is None else self.pending.to_json(),
            "base": None if self.base is None else self.base.hash,
            "started": self.started,
            "succeeded": self.succeeded,
            "gave_up": self.gave_up,
        }

    def restore_extra(self, state: dict[str, Any]) -> None:
        try:
            self.payment = Transaction.from_json(state["payment"]) if state["payment"] else None
            self.conflict = Transaction.from_json(state["conflict"]) if state["conflict"] else None
            pending = state.get("pending")
            self.pending = Transaction.from_json(pending) if pending else None
            self.started, self.succeeded, self.gave_up = (
                int(state["started"]),
                int(state["succeeded"]),
                int(state["gave_up"]),
            )
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            self.say("ignoring a saved attempt that does not parse: %s", exc)
        base = state.get("base")
        self.base = self.node.chain.get(base) if isinstance(base, str) else None
        if self.base is None or self.conflict is None or not (self.payment or self.pending):
            self.withheld.clear()
            self.branch = None

    def _fork(self) -> bool:
        """Start an attempt: fork privately at the current tip with the conflicting transfer;
        pay now, or once the first private block is found when pre-mining."""
        node = self.node
        connected = self.peers.connected()
        if not (self.victim or connected):
            return False
        victim = self.victim or connected[0].node_id
        key = account_key(self._account())
        nonce = node.chain.state.nonce(address_of(key))
        self.payment = None
        self.pending = make_transfer(key, address_of(miner_key(victim)), self.amount, 1, nonce)
        self.conflict = make_transfer(key, node.miner_address, self.amount, 1, nonce)
        self.base = self.branch = node.chain.tip
        self.save()
        self.say(
            "mining a private chain from height %d with the conflicting tx %s (nonce %d)%s",
            self.base.height,
            self.conflict.txid[:16],
            nonce,
            "; paying once its first block is found" if self.premine else "",
        )
        return self.premine > 0 or self._pay()

    def _account(self) -> int:
        accounts = self.node.params.genesis_accounts
        return self.account if self.account >= 0 else max(accounts - 1, 0)

    def _pay(self) -> bool:
        """Broadcast the payment prepared by `_fork`: the attempt has started."""
        assert self.pending is not None
        try:
            self.node.submit_tx(self.pending)
        except InvalidTx as exc:
            self.say("payment refused by our own node (%s); starting over", exc)
            self.withheld.clear()
            self.branch = None
            self.save()
            return False
        self.started += 1
        self.payment, self.pending = self.pending, None
        self.save()
        self.say(
            "attempt %d: paid %s coins (tx %s) with %d private block(s) from height %d",
            self.started,
            self.amount,
            self.payment.txid[:16],
            len(self.withheld),
            -1 if self.base is None else self.base.height,
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
        if self.payment is None and self.pending is not None and not self._pay():
            self._done.set()
            return
        self.react()

    def react(self) -> None:
        assert self.branch is not None and self.base is not None
        public = self.node.chain.height
        if self.payment is None:  # pre-mining, and a public block came first: start over on it
            self.withheld.clear()
            self.base = self.branch = self.node.chain.tip
            self.save()
            return
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
