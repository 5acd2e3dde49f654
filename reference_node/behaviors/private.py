"""A private chain: blocks mined on a branch the network does not see, released at will.

Withheld blocks stay out of the node's block index (so its peers cannot fetch them through
headers-first sync); each one gets a detached `Entry` whose parent is the previous one, which is
all `build_block` needs to mine on top. Releasing hands the blocks to the node in order, as if just
mined, and pushes them to every peer parents first, so even a losing tie reaches the network.
Private blocks carry no mempool transactions: a transaction mined publicly in the meantime would
make them invalid at release.

The private state (withheld blocks, where the branch is, the persona's own attempt) is saved
through `OwnNode.keep_private` at every change and reloaded at `bind`, so an attacker that crashes
and restarts picks up its private chain where it was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from ..core.block import Block
from ..core.chain import ChainUpdate, Entry
from ..core.errors import ValidationError
from ..core.mining import build_block
from ..core.tx import Transaction
from .base import OwnNode, PeerList, Persona, Stats
from .wire import Wire

PUSH_ON_CLOSE_TIMEOUT = 3.0


class PrivateChain(Persona):
    def __init__(self, args: dict[str, str]) -> None:
        super().__init__(args)
        self.branch: Entry | None = None
        """Where the next block is mined; None mines honestly on the tip."""
        self.withheld: list[tuple[Block, Entry]] = []
        self.withheld_total = 0
        self.released_total = 0
        self._releasing = False
        self._tasks: set[asyncio.Task[None]] = set()

    def bind(self, node: OwnNode, peers: PeerList, wire: Wire) -> None:
        super().bind(node, peers, wire)
        state = node.kept_private()
        if state is not None:
            self.restore(state)

    async def run(self) -> None:
        await self.attack()

    async def close(self) -> None:
        """Let the pushes of a release finish before the node goes away."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=PUSH_ON_CLOSE_TIMEOUT)

    # -- persistence -----------------------------------------------------------------------

    def save(self) -> None:
        """Persist the private state; called after every change to it."""
        self.node.keep_private(
            {
                "branch": None if self.branch is None else self.branch.hash,
                "withheld": [b.to_json() for b, _ in self.withheld],
                "withheld_total": self.withheld_total,
                "released_total": self.released_total,
                **self.saved_extra(),
            }
        )

    def saved_extra(self) -> dict[str, Any]:
        """A persona's own part of the saved state."""
        return {}

    def restore(self, state: dict[str, Any]) -> None:
        """Rebuild the private chain saved by `save`; what no longer fits our chain is dropped."""
        chain = self.node.chain
        withheld: list[tuple[Block, Entry]] = []
        try:
            blocks = [Block.from_json(raw) for raw in state.get("withheld", [])]
            self.withheld_total = int(state.get("withheld_total", 0))
            self.released_total = int(state.get("released_total", 0))
        except (ValidationError, TypeError, ValueError) as exc:
            self.say("ignoring a saved private chain that does not parse: %s", exc)
            return
        branch = blocks[0].header.prev if blocks else state.get("branch")
        parent = chain.get(branch) if isinstance(branch, str) else None
        for block in blocks:
            if parent is None or block.header.prev != parent.hash:
                self.say("ignoring saved private blocks from %s on: no parent", block.hash[:16])
                break
            parent = Entry(
                block.header, parent.height + 1, parent.work + block.header.work, parent, -1
            )
            withheld.append((block, parent))
        self.withheld, self.branch = withheld, parent
        self.restore_extra(state)
        self.say(
            "restored %d withheld blocks; private tip at height %d",
            len(withheld),
            -1 if parent is None else parent.height,
        )

    def restore_extra(self, state: dict[str, Any]) -> None:
        """Take back the persona's own part of the saved state."""

    async def attack(self) -> None:
        """The persona's own loop; by default everything happens in the hooks."""
        await asyncio.Event().wait()

    def stats(self) -> Stats:
        return {
            "withheld": len(self.withheld),
            "withheld_total": self.withheld_total,
            "released_total": self.released_total,
            "lead": self.lead(),
        }

    def lead(self) -> int:
        """Private height minus public height (0 when mining honestly)."""
        return 0 if self.branch is None else self.branch.height - self.node.chain.height

    def private_txs(self) -> Sequence[Transaction]:
        """Transactions of the next private block (a double spender puts its conflict here)."""
        return ()

    def template(self, block: Block) -> Block:
        if self.branch is None:
            return block
        node = self.node
        return build_block(
            node.chain, self.branch, self.private_txs(), node.miner_address, block.header.timestamp
        )

    def mining_parent(self) -> str | None:
        return None if self.branch is None else self.branch.hash

    def publish_mined(self, block: Block) -> bool:
        if self.branch is None or block.header.prev != self.branch.hash:
            return True
        parent = self.branch
        entry = Entry(block.header, parent.height + 1, parent.work + block.header.work, parent, -1)
        self.withheld.append((block, entry))
        self.withheld_total += 1
        self.branch = entry
        self.save()
        self.say(
            "withheld block %s at height %d (private lead %d)",
            block.hash[:16],
            entry.height,
            self.lead(),
        )
        self.on_private_block()
        return False

    def on_private_block(self) -> None:
        """A block was just added to the private chain."""

    def on_tip(self, update: ChainUpdate) -> None:
        if not self._releasing and self.branch is not None:
            self.react()

    def react(self) -> None:
        """The public tip moved while a private branch exists: decide what to release."""

    def abandon(self, why: str) -> None:
        """Drop the private blocks and go back to mining on the public tip."""
        self.say("abandoned %d private blocks: %s", len(self.withheld), why)
        self.withheld.clear()
        self.branch = self.node.chain.tip
        self.save()

    def release(self, count: int) -> list[Block]:
        """Publish the first `count` withheld blocks: into our chain, then pushed to every peer."""
        blocks = [b for b, _ in self.withheld[:count]]
        del self.withheld[:count]
        self._releasing = True
        try:
            self.node.take_own_blocks(blocks)
        finally:
            self._releasing = False
        self.released_total += len(blocks)
        if not self.withheld and blocks:
            self.branch = self.node.chain.get(blocks[-1].hash)
        self.save()
        if blocks:
            dials = [p.dial for p in self.peers.connected()]
            payload: list[dict[str, Any]] = [b.to_json() for b in blocks]
            task = asyncio.get_running_loop().create_task(self.wire.push_blocks(dials, payload))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return blocks

    def synced(self) -> bool:
        """Connected, and no peer more than a block ahead: a sound moment to fork (a block of
        slack, or a busy network would never look synced)."""
        chain = self.node.chain
        peers = self.peers.connected()
        return (
            bool(peers)
            and chain.best_header is chain.tip
            and all(p.height <= chain.height + 1 for p in peers)
        )
