"""Majority reorg: out-mine the network in private, then replace its chain in one go.

With more than half of the hashrate a private chain overtakes the public one almost surely; this
persona forks at the tip once in sync (or at height `fork_at`), withholds everything, and releases
when it leads by `lead` blocks, so honest nodes drop every public block mined in the meantime.
Then it starts over from its new tip. Each release is logged with the depth it forces.
"""

from __future__ import annotations

import asyncio

from ..core.chain import Entry
from .base import Stats
from .private import PrivateChain


class MajorityReorg(PrivateChain):
    name = "majority-reorg"
    accepted_args = frozenset({"lead", "fork_at"})

    def __init__(self, args: dict[str, str]) -> None:
        super().__init__(args)
        self.target_lead = self.int_arg("lead", 6, 1, 10_000)
        self.fork_at = self.int_arg("fork_at", -1, 0, 10**9)
        self.base: Entry | None = None
        self.releases = 0
        self.max_depth = 0

    def stats(self) -> Stats:
        return {
            **super().stats(),
            "releases": self.releases,
            "max_reorg_depth": self.max_depth,
            "fork_height": -1 if self.base is None else self.base.height,
        }

    async def attack(self) -> None:
        chain = self.node.chain
        while not self.synced() or chain.height < self.fork_at:
            await asyncio.sleep(0.5)
        self.base = self.branch = chain.active[self.fork_at] if self.fork_at >= 0 else chain.tip
        self.say(
            "mining privately from height %d until %d blocks ahead",
            self.base.height,
            self.target_lead,
        )
        await super().attack()

    def on_private_block(self) -> None:
        self.react()

    def react(self) -> None:
        assert self.branch is not None and self.base is not None
        if not self.withheld or self.lead() < self.target_lead:
            return
        depth = self.node.chain.height - self.base.height
        lead = self.lead()
        released = self.release(len(self.withheld))
        self.releases += 1
        self.max_depth = max(self.max_depth, depth)
        self.say(
            "released %d private blocks with a lead of %d: honest nodes drop %d public block(s)",
            len(released),
            lead,
            depth,
        )
        self.base = self.branch = self.node.chain.tip
