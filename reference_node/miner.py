"""The mining loop: the core builds templates and grinds; this adapter owns the timer and thread.

`real`: grind nonces in a worker thread in chunks, rebuilding the template when the tip moves, so
blocks come as fast as the CPU and difficulty allow. `simulated`: sleep the next delay drawn by
`core.mining.BlockTimer`, then build on the current tip and grind the (low) difficulty. Either way
the API stays responsive: the event loop only ever waits on the thread. The persona decides what
is mined and whether a found block is published.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from .behaviors.base import Persona
from .core.block import Block
from .core.mining import BlockTimer, build_template, grind
from .node import Node

log = logging.getLogger("reference_node.miner")

CHUNK = 20_000
TEMPLATE_MAX_AGE = 2.0


class Miner:
    def __init__(self, node: Node, persona: Persona) -> None:
        self.node = node
        self.persona = persona
        config = node.config
        self.enabled = config.mine and config.hashrate > 0
        self.timer = BlockTimer(config.seed, config.node_id, config.hashrate, config.block_interval)
        self._task: asyncio.Task[None] | None = None
        self._released = asyncio.Event()
        if not config.hold_mining:
            self._released.set()

    def release(self) -> bool:
        """`POST /mining/start`: a miner held by `--hold-mining` starts; True when this call
        started it. Held, a node of a run mines nothing before the network it is part of exists
        (the runner's time zero), however long the backend takes to start the rest."""
        if self._released.is_set():
            return False
        self._released.set()
        return True

    def start(self) -> None:
        if self.enabled:
            self._task = asyncio.create_task(self._run(), name="miner")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        simulated = self.node.config.mining == "simulated"
        await self._released.wait()
        while True:
            if simulated:
                await asyncio.sleep(self.timer.next_delay())
            block = await self._mine_one()
            self._publish(block)

    async def _mine_one(self) -> Block:
        """Grind a block on the current tip (or the persona's private branch), starting over when
        either moves or the template gets old (the mempool moves too)."""
        loop = asyncio.get_running_loop()
        node = self.node
        while True:
            template = self.persona.template(
                build_template(node.chain, node.mempool, node.miner_address, node.now_ms())
            )
            tip, parent, built = node.chain.tip, self.persona.mining_parent(), loop.time()
            nonce = 0
            while (
                node.chain.tip is tip
                and self.persona.mining_parent() == parent
                and loop.time() - built < TEMPLATE_MAX_AGE
            ):
                header = await loop.run_in_executor(None, grind, template.header, nonce, CHUNK)
                if header is not None:
                    return Block(header, template.txs)
                nonce += CHUNK

    def _publish(self, block: Block) -> None:
        log.info("mined block %s on %s", block.hash[:16], block.header.prev[:16])
        if self.persona.publish_mined(block):
            self.node.take_own_blocks([block], push=True)
