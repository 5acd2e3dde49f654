"""The app factory: assembles the two routers, the body middleware, the error handlers and the
lifespan it is given. It holds no handlers; `reference_node.app` decides what runs for the app's
lifetime."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from .. import __version__
from ..node import Node
from ..p2p.manager import PeerManager
from . import errors
from .body import LimitAndCount
from .peer import PeerProtocol, peer_router
from .user import PolledReads, user_router

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def create_app(
    node: Node,
    peers: PeerManager,
    protocol: PeerProtocol,
    reads: PolledReads,
    lifespan: Lifespan | None = None,
) -> FastAPI:
    app = FastAPI(title="chaosnet reference node", version=__version__, lifespan=lifespan)
    app.add_middleware(LimitAndCount, metrics=node.metrics)
    errors.install(app)
    app.include_router(user_router(node, peers, reads))
    app.include_router(peer_router(protocol))
    return app
