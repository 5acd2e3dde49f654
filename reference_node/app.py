"""One node's parts, built and started in one place and one order.

    build:  persona → store → node → peer client → peer manager → relay → wire → persona.bind
            → miner → HTTP app
    start:  peer manager loops → miner → persona's own loop
    stop:   persona's loop → miner → persona's last words → peer manager (and its client) → wire
            → store

Nothing else constructs or connects these parts: the node does not pick its persona, the peer
manager does not install itself as the node's relay, the API does not start loops. Time and the
HTTP transport come in here, so a deterministic simulator can build the same parts on a fake
clock with an in-process transport (`httpx.ASGITransport` over the other nodes' apps); where a
persona's identities listen comes in too (`listen`, TCP listeners of this process by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import AsyncIterator, Callable

import httpx
from fastapi import FastAPI

from .api import create_app
from .api.peer import PeerProtocol
from .api.user import PolledReads, RunnerControls
from .behaviors import make_persona
from .behaviors.listen import Listen, TcpListen
from .behaviors.wire import Wire
from .miner import Miner
from .node import Node, NodeConfig
from .p2p.client import MAX_RESPONSE, PeerClient, carrier_for
from .p2p.manager import PeerManager
from .store import Store

log = logging.getLogger("reference_node")

PLANTED_BUG = "CHAOSNET_PLANTED_BUG"
"""Test-only, never set by chaosnet: `reorg-mempool` makes the node lose the transactions of the
blocks a reorg deeper than two blocks disconnects, the bug `chaosnet explore`'s tests must find."""
WIRE_CONNECTIONS = 256
"""Messages a persona may have in flight at once (a sybil dials with every identity)."""


class NodeApp:
    """Raises PersonaError or StoreError (the CLI exits 2) when the configuration cannot run."""

    def __init__(
        self,
        config: NodeConfig,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
        listen: Listen | None = None,
        durable_store: bool = True,
    ) -> None:
        """`durable_store=False`: nothing kills this process mid-write (see `Store`)."""
        self.config = config
        self.persona = make_persona(config.persona, config.persona_args, config.persona_dormant)
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(config.data_dir / "chain.sqlite3", config.prune, durable=durable_store)
        self.node = Node(config, self.store, self.persona, clock=clock)
        self.node.mempool.loses_deep_reorg_txs = os.environ.get(PLANTED_BUG) == "reorg-mempool"
        client = PeerClient(self.node.metrics, config.node_id, config.address, transport)
        self.peers = PeerManager(self.node, self.persona, client, monotonic=monotonic)
        self.node.connect_relay(self.peers)
        if listen is None:
            listen = TcpListen(config.host, config.address.rpartition(":")[0])
        carrier = carrier_for(transport, WIRE_CONNECTIONS, MAX_RESPONSE)
        self.wire = Wire(config.node_id, config.address, listen, carrier)
        self.persona.bind(self.node, self.peers, self.wire)
        self.miner = Miner(self.node, self.persona)
        self.p2p = PeerProtocol(self.node, self.peers)
        self.reads = PolledReads(self.node, self.peers)
        self.controls = RunnerControls(self.node, self.miner)
        self.http = create_app(
            self.node, self.peers, self.p2p, self.reads, self.controls, lifespan=self.lifespan
        )
        self._persona_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.peers.start()
        self.miner.start()
        self._persona_task = asyncio.create_task(self.persona.run(), name="persona")

    async def stop(self) -> None:
        if self._persona_task is not None:
            self._persona_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._persona_task
        await self.miner.stop()
        await self.persona.close()
        await self.peers.stop()
        await self.wire.close()
        self.store.close()
        log.info("stopped")

    @contextlib.asynccontextmanager
    async def lifespan(self, app: FastAPI) -> AsyncIterator[None]:
        """The HTTP server's lifetime is the node's: uvicorn runs this around serving."""
        await self.start()
        try:
            yield
        finally:
            await self.stop()
