"""Sybil: one process, many identities, all of them knocking on every peer every round.

Each of `identities` node ids (default 20) handshakes with each of our peers every `interval`
seconds (default 1) and floods address exchange with the identities' addresses. Honest nodes must
cap their peer slots (429 beyond `--max-peers`) and go on following the honest chain.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from typing import Any

from .base import Persona, Stats
from .identities import Identities
from .wire import UNREACHABLE


class Sybil(Persona):
    name = "sybil"
    accepted_args = frozenset({"identities", "interval"})

    def __init__(self, args: dict[str, str]) -> None:
        super().__init__(args)
        self.count = self.int_arg("identities", 20, 1, 1000)
        self.interval = self.float_arg("interval", 1.0, 0.1, 60.0)
        self.rounds = 0
        self.answers: Counter[int] = Counter()
        self.addr_floods = 0

    def stats(self) -> Stats:
        return {
            "identities": self.count,
            "rounds": self.rounds,
            "handshakes_accepted": self.answers[200],
            "handshakes_refused_full": self.answers[429],
            "handshakes_refused_banned": self.answers[403],
            "addr_floods": self.addr_floods,
        }

    async def run(self) -> None:
        identities = Identities(self.node.node_id, self.count)
        await identities.open(self.wire.listen, self.stale_hello())
        self.say("opened %d identities at %s ...", self.count, identities.addresses[0])
        try:
            while True:
                targets = self.targets()
                await asyncio.gather(*(self._round(identities, d) for d in targets))
                self.rounds += 1
                await asyncio.sleep(self.interval)
        finally:
            identities.close()

    async def _round(self, identities: Identities, dial: str) -> None:
        answers = await identities.handshake_all(self.wire, self.peers.hello(), dial)
        await identities.advertise(self.wire, dial)
        self.answers += answers
        self.addr_floods += 1
        self.say(
            "round %d at %s: %d identities accepted, %d refused (slots full), "
            "%d refused (banned), %d unanswered; %d addresses advertised",
            self.rounds + 1,
            dial,
            answers[200],
            answers[429],
            answers[403],
            answers[UNREACHABLE],
            len(identities.addresses),
        )

    def stale_hello(self) -> Callable[[], dict[str, Any]] | None:
        """None: the identities hang up on whatever is sent to them (see `identities`)."""
        return None

    def targets(self) -> list[str]:
        """Every peer of ours (dial addresses)."""
        return [p.dial for p in self.peers.connected()]
