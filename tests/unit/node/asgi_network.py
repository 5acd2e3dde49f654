"""Real node apps wired to each other in one process: a peer message to `host:port` is handed to
that node's ASGI app, so two `NodeApp`s talk through the real HTTP handlers without sockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from reference_node.app import NodeApp
from reference_node.node import NodeConfig


class Network(httpx.AsyncBaseTransport):
    """Requests to `host:port` go to that node's ASGI app, in process."""

    def __init__(self) -> None:
        self.apps: dict[str, httpx.ASGITransport] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.apps[f"{request.url.host}:{request.url.port}"].handle_async_request(
            request
        )


def node(tmp_path: Path, name: str, port: int, network: Network, **settings: Any) -> NodeApp:
    """A node named `name` at `name`'s port, reachable on `network` and sending through it;
    `settings` are further NodeConfig fields. Built again on the same `tmp_path`, it is the same
    node restarted (its data directory is kept)."""
    config = NodeConfig(
        port=port,
        data_dir=tmp_path / name,
        node_id=name,
        difficulty=4,
        genesis_accounts=4,
        **settings,
    )
    app = NodeApp(config, transport=network)
    network.apps[config.address] = httpx.ASGITransport(app=app.http)
    return app


async def dial_neighbour(dialler: NodeApp, address: str) -> None:
    """`dialler` learns `address` as a topology neighbour (--peers) and dials it now: the
    handshake both ways, and the header exchange it starts."""
    dialler.peers.table.learn(address, seed=True)
    await dialler.peers._dial(address)
