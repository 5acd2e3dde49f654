"""The app factory: assembles the two routers, the body middleware, the error handlers and the
lifespan it is given. It holds no handlers; `reference_node.app` decides what runs for the app's
lifetime.

Building the routers is most of a node's start-up cost (FastAPI analyses every route's
parameters and builds pydantic models for them: about 0.1 CPU s a node), and a simulator that
hosts many nodes asks most of their apps nothing (its peer messages and polls take direct doors).
So the routers are built when the app is first used: served, asked for its routes or its OpenAPI
document. A server pays it before its first answer, as before."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import APIRouter, FastAPI
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from .. import __version__
from ..node import Node
from ..p2p.manager import PeerManager
from . import errors
from .body import LimitAndCount
from .peer import PeerDoor, PeerProtocol, peer_router
from .user import PolledReads, RunnerControls, user_router

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class NodeAPI(FastAPI):
    """A FastAPI app that includes its routers (`build`) on first use."""

    def __init__(self, build: Callable[[], list[APIRouter]], **settings: Any) -> None:
        self._build: Callable[[], list[APIRouter]] | None = build
        super().__init__(**settings)

    def _include(self) -> None:
        build, self._build = self._build, None
        for router in build() if build is not None else []:
            self.include_router(router)

    @property
    def routes(self) -> list[BaseRoute]:
        self._include()
        return super().routes

    def openapi(self) -> dict[str, Any]:
        self._include()
        return super().openapi()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._include()
        await super().__call__(scope, receive, send)


def create_app(
    node: Node,
    peers: PeerManager,
    protocol: PeerProtocol,
    reads: PolledReads,
    controls: RunnerControls,
    lifespan: Lifespan | None = None,
    *,
    peer_door: bool = True,
) -> FastAPI:
    """`peer_door=False` leaves peer messages to the FastAPI routes that `/openapi.json`
    declares: the reference `PeerDoor` is tested against, not a way to serve."""

    def routers() -> list[APIRouter]:
        return [user_router(node, peers, reads, controls), peer_router(protocol)]

    app = NodeAPI(routers, title="chaosnet reference node", version=__version__, lifespan=lifespan)
    app.add_middleware(LimitAndCount, metrics=node.metrics)
    if peer_door:
        app.add_middleware(PeerDoor, protocol=protocol)
    errors.install(app)
    return app
