"""Invalid transactions: a bounded flood of bad transfers to every peer.

Kinds rotate through `kinds` (default all): `signature` (signed by someone else), `overspend`
(more than the sender holds), `nonce` (far ahead of the account's next nonce) and `malformed`
(JSON that is not a transaction). `rate` transactions per second (default 20) go to each peer.
Honest nodes must refuse every one and keep serving; bad signatures should get us banned.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from typing import Any

from ..core.keys import account_key, address_of
from ..core.params import GENESIS_BALANCE
from ..core.tx import Transaction, make_transfer
from .base import Persona, Stats, peer_dials
from .wire import UNREACHABLE

KINDS = ("signature", "overspend", "nonce", "malformed")
LOG_EVERY = 5.0
"""Seconds between summary lines: one line per transaction would drown the log."""


class InvalidTxs(Persona):
    name = "invalid-txs"
    accepted_args = frozenset({"kinds", "rate"})

    def __init__(self, args: dict[str, str]) -> None:
        super().__init__(args)
        self.kinds = itertools.cycle(self.choice_list_arg("kinds", KINDS))
        self.rate = self.float_arg("rate", 20.0, 0.1, 1000.0)
        self.counts = {"sent": 0, "rejected": 0, "refused_banned": 0, "accepted": 0}
        self.serial = 0

    def stats(self) -> Stats:
        return dict(self.counts)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_at = next_log = loop.time()
        while True:
            next_at += 1.0 / self.rate
            await asyncio.sleep(max(0.0, next_at - loop.time()))
            kind = next(self.kinds)
            await self._flood(peer_dials(self.peers), kind)
            if loop.time() >= next_log:
                next_log = loop.time() + LOG_EVERY
                self.say("flooding invalid txs (last: %s); totals %s", kind, self.counts)
            next_at = max(next_at, loop.time() - 1.0)

    async def _flood(self, dials: list[str], kind: str) -> None:
        payload = self._forge(kind)
        answers = await asyncio.gather(*(self.wire.post(d, "/p2p/tx", payload) for d in dials))
        for status, answer in answers:
            self.counts["sent"] += 1
            if status == 200 and isinstance(answer, dict) and answer.get("accepted"):
                self.counts["accepted"] += 1
            elif status == 403:
                self.counts["refused_banned"] += 1
            elif status != UNREACHABLE:
                self.counts["rejected"] += 1

    def _forge(self, kind: str) -> Any:
        """The `/p2p/tx` body of one invalid transaction of `kind`."""
        self.serial += 1
        state = self.node.chain.state
        index = self.serial % max(self.node.params.genesis_accounts, 1)
        key = account_key(index)
        sender = address_of(key)
        recipient = self.node.miner_address
        nonce = state.nonce(sender)
        if kind == "signature":
            other = make_transfer(account_key(index + 1), recipient, 1, 1, nonce)
            tx = Transaction(sender, recipient, self.serial, 1, nonce, other.signature)
        elif kind == "overspend":
            tx = make_transfer(key, recipient, GENESIS_BALANCE * 2 + self.serial, 1, nonce)
        elif kind == "nonce":
            tx = make_transfer(key, recipient, 1, 1, nonce + 1_000_000 + self.serial)
        else:
            return {"tx": {"sender": "not hex", "amount": -self.serial, "time": time.time()}}
        return {"tx": tx.to_json()}
