"""Eclipse: monopolise one victim's peer slots and feed it nothing.

The sybil machinery aimed at a single `victim` (its node id, or HOST:PORT): every round all
identities handshake with it and address exchange hands it only our identities' addresses, so its
free slots and its address table fill with attacker peers that never deliver a block. Our own node
also withholds every block from the victim. Honest nodes resist by keeping the honest peers they
already have; a victim that loses them all would be cut off from the honest chain.
"""

from __future__ import annotations

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
        self._warned = False

    def stats(self) -> Stats:
        return {**super().stats(), "blocks_withheld": self.blocks_withheld}

    def relay_block(self, block: Block, peer_id: str) -> bool:
        if peer_id != self.victim:
            return True
        self.blocks_withheld += 1
        self.say("withheld block %s from %s", block.hash[:16], peer_id)
        return False

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
