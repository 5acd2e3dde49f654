"""Eclipse: take every one of the victim's peer slots and show it nothing new.

The sybil machinery aimed at a single `victim` (its node id, or HOST:PORT): every round all
identities handshake with it and address exchange hands it only our identities' addresses. The
identities answer every message as `StalePeer`s (no headers after the victim's locator, every block
missing), so the victim keeps them in its slots for good and learns nothing through them. Our own
node, when it is a peer of the victim, withholds every block from it too: it pushes none and
answers its header and block requests with nothing. A victim whose every slot is ours stops at
the height the eclipse caught it; the defence is a slot the attacker cannot take
(`--eclipse-defence on`: the neighbours a node was started with always get one).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.block import Block
from .base import PersonaError, Stats
from .sybil import Sybil


class Eclipse(Sybil):
    name = "eclipse"
    accepted_args = frozenset({"victim", "identities", "interval"})

    def __init__(self, args: dict[str, str]) -> None:
        super().__init__(args)
        self.victim = args.get("victim", "")
        if not self.victim:
            raise PersonaError(f"persona {self.name!r} needs victim=NODE_ID (or HOST:PORT)")
        self.blocks_withheld = 0
        self.requests_stonewalled = 0
        self._warned = False

    def stats(self) -> Stats:
        return {
            **super().stats(),
            "blocks_withheld": self.blocks_withheld,
            "requests_stonewalled": self.requests_stonewalled,
        }

    def is_victim(self, peer_id: str | None) -> bool:
        """Is `peer_id` the victim (named by id, or by the address it is reached at)?"""
        if not peer_id:
            return False
        if peer_id == self.victim:
            return True
        return any(
            p.node_id == peer_id and self.victim in (p.dial, p.address)
            for p in self.peers.connected()
        )

    def relay_block(self, block: Block, peer_id: str) -> bool:
        if not self.is_victim(peer_id):
            return True
        self.blocks_withheld += 1
        self.say("withheld block %s from %s", block.hash[:16], peer_id)
        return False

    def serves_chain_to(self, peer_id: str | None) -> bool:
        if not self.is_victim(peer_id):
            return True
        self.requests_stonewalled += 1
        return False

    def stale_hello(self) -> Callable[[], dict[str, Any]] | None:
        frozen = self.peers.hello()
        return lambda: frozen

    def targets(self) -> list[str]:
        """The victim: a peer of ours, an address we learned for it, or HOST:PORT as given."""
        dial = self.peers.dial_of(self.victim)
        if dial is not None:
            return [dial]
        if ":" in self.victim:
            return [self.victim]
        if not self._warned:
            self._warned = True
            self.say("victim %s not found among our peers yet; waiting", self.victim)
        return []
