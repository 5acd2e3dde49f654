"""An attacker before its attack: an honest miner and relay until the runner activates it.

A scenario attacker with `active: false` is a node of the network from the start, mining its
hashrate share and relaying honestly (`--persona-dormant`); `POST /persona/activate` (the runner's
`attack: start`) turns the persona on. The persona is bound only then, so it starts from the
chain of that moment (a selfish miner's first private block builds on the tip it sees, a saved
private chain is restored against it) and its own loop starts then too.
"""

from __future__ import annotations

import asyncio

from ..core.block import Block
from ..core.chain import ChainUpdate
from ..core.tx import Transaction
from .base import Persona, Stats


class Dormant(Persona):
    """`attacker`'s name and stats, the honest hooks until `activate`, the attacker's after."""

    def __init__(self, attacker: Persona) -> None:
        super().__init__({})
        self.name = attacker.name
        self.attacker = attacker
        self.active = False
        self._activated = asyncio.Event()
        self._honest = Persona({})

    @property
    def current(self) -> Persona:
        return self.attacker if self.active else self._honest

    def activate(self) -> bool:
        """Start the attack; False when it had already started."""
        if self.active:
            return False
        self.attacker.bind(self.node, self.peers, self.wire)
        self.active = True
        self._activated.set()
        self.say("activated at height %d", self.node.chain.height)
        return True

    async def run(self) -> None:
        await self._activated.wait()
        await self.attacker.run()

    async def close(self) -> None:
        if self.active:
            await self.attacker.close()

    def stats(self) -> Stats:
        return {"active": int(self.active), **(self.attacker.stats() if self.active else {})}

    def on_tip(self, update: ChainUpdate) -> None:
        self.current.on_tip(update)

    def template(self, block: Block) -> Block:
        return self.current.template(block)

    def mining_parent(self) -> str | None:
        return self.current.mining_parent()

    def publish_mined(self, block: Block) -> bool:
        return self.current.publish_mined(block)

    def relay_block(self, block: Block, peer_id: str) -> bool:
        return self.current.relay_block(block, peer_id)

    def serves_chain_to(self, peer_id: str | None) -> bool:
        return self.current.serves_chain_to(peer_id)

    def relay_tx(self, tx: Transaction, peer_id: str) -> bool:
        return self.current.relay_tx(tx, peer_id)
