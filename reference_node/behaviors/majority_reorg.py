"""Majority reorg: out-mine the network in private, then replace its chain in one go.

With more than half of the hashrate a private chain overtakes the public one almost surely; this
persona forks at the tip once in sync (or at height `fork_at`), withholds everything, and releases
when it leads by `lead` blocks, so honest nodes drop every public block mined in the meantime.
Then it starts over from its new tip. Each release is logged with the depth it forces.
"""

from __future__ import annotations

import asyncio
from typing import Any

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

    def saved_extra(self) -> dict[str, Any]:
        return {
            "base": None if self.base is None else self.base.hash,
            "releases": self.releases,
            "max_reorg_depth": self.max_depth,
        }

    def restore_extra(self, state: dict[str, Any]) -> None:
        base = state.get("base")
        self.base = self.node.chain.get(base) if isinstance(base, str) else None
        if self.base is None:
            self.withheld.clear()
            self.branch = None
        releases, depth = state.get("releases"), state.get("max_reorg_depth")
        self.releases = releases if isinstance(releases, int) else 0
        self.max_depth = depth if isinstance(depth, int) else 0

    async def attack(self) -> None:
        if self.base is None:
            await self._fork()
        await super().attack()

    async def _fork(self) -> None:
        """Wait until in sync (and at `fork_at`), then start the private chain there."""
        chain = self.node.chain
        while not self.synced() or chain.height < self.fork_at:
            await asyncio.sleep(0.5)
        self.base = self.branch = chain.active[self.fork_at] if self.fork_at >= 0 else chain.tip
        self.save()
        self.say(
            "mining privately from height %d until %d blocks ahead",
            self.base.height,
            self.target_lead,
        )

    def on_private_block(self) -> None:
        self.react()

    async def close(self) -> None:
        """A graceful stop (`attack: stop`) releases a lead of any size: it wins as it stands."""
        if self.withheld and self.base is not None and self.lead() >= 1:
            self.say("stopping with a lead of %d: releasing now", self.lead())
            self._release_all()
        await super().close()

    def react(self) -> None:
        assert self.branch is not None and self.base is not None
        if self.withheld and self.lead() >= self.target_lead:
            self._release_all()

    def _release_all(self) -> None:
        assert self.base is not None
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
        self.save()
