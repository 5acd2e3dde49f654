"""Selfish mining (Eyal and Sirer, "Majority is not Enough", FC 2014).

The miner keeps its blocks private and publishes only to waste the honest miners' work:
  * state 0 (no private block): mine on the public tip; a block found is withheld (lead 1);
  * honest block at lead 1 → publish ours: a tie (state 0'), and we keep mining on our block;
  * state 0' and we find the next block → publish it, our branch wins;
  * honest block at lead 2 → publish everything: our branch is longer, the honest block is lost;
  * honest block at lead > 2 → publish up to the honest height, keep the rest private;
  * honest chain ahead of us (the lead was lost) → abandon the private blocks.
Gamma (the share of honest miners that build on our block in a tie) is decided by the network,
so the `gamma` argument is accepted and ignored.
"""

from __future__ import annotations

from typing import Any

from ..core.block import Block
from .base import OwnNode, PeerList, Stats
from .private import PrivateChain
from .wire import Wire

COUNTERS = ("ties", "ties_won", "overrides", "matches", "abandoned")


class Selfish(PrivateChain):
    name = "selfish"
    accepted_args = frozenset({"gamma"})

    def __init__(self, args: dict[str, str]) -> None:
        super().__init__(args)
        self.float_arg("gamma", 0.0, 0.0, 1.0)
        self.ties = 0
        self.overrides = 0
        self.matches = 0
        self.ties_won = 0
        self.abandoned = 0

    def bind(self, node: OwnNode, peers: PeerList, wire: Wire) -> None:
        super().bind(node, peers, wire)
        if self.branch is None:
            self.branch = node.chain.tip

    def saved_extra(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in COUNTERS}

    def restore_extra(self, state: dict[str, Any]) -> None:
        for key in COUNTERS:
            value = state.get(key)
            if isinstance(value, int):
                setattr(self, key, value)

    async def close(self) -> None:
        """A graceful stop cashes in a lead: published now, the private chain is the longest, as
        it would have become later; a crash keeps it for the restart instead (see `private`)."""
        if self.withheld and self.lead() >= 1:
            self.say("stopping with a lead of %d: publishing the private chain", self.lead())
            self.release(len(self.withheld))
        await super().close()

    def stats(self) -> Stats:
        return {
            **super().stats(),
            "state": self.state(),
            "ties": self.ties,
            "ties_won": self.ties_won,
            "overrides": self.overrides,
            "matches": self.matches,
            "abandoned": self.abandoned,
        }

    def state(self) -> str:
        if self.withheld:
            return f"lead {self.lead()}"
        return "0" if self.branch is self.node.chain.tip else "0'"

    def publish_mined(self, block: Block) -> bool:
        branch = self.branch
        tie = branch is not None and not self.withheld and branch is not self.node.chain.tip
        if tie and branch is not None and block.header.prev == branch.hash:
            self.ties_won += 1
            self.say("state 0': found a block on our side of the tie, publishing it")
            return True
        return super().publish_mined(block)

    def react(self) -> None:
        assert self.branch is not None
        tip = self.node.chain.tip
        if not self.withheld:
            if tip.height > self.branch.height:
                self.branch = tip
            return
        lead = self.branch.height - tip.height
        if lead < 0:
            self.abandoned += len(self.withheld)
            self.abandon(f"the public chain is {-lead} block(s) ahead")
        elif lead == 0:
            self.ties += 1
            self.release(len(self.withheld))
            self.say("public chain caught up: published our block, tie race (state 0')")
        elif lead == 1:
            self.overrides += 1
            released = self.release(len(self.withheld))
            self.say(
                "lead fell to 1: published %d blocks, overriding the public chain", len(released)
            )
        else:
            count = sum(1 for _, e in self.withheld if e.height <= tip.height)
            if count:
                self.matches += 1
                self.release(count)
                self.say(
                    "public height %d matched: published %d block(s), lead %d",
                    tip.height,
                    count,
                    lead,
                )
