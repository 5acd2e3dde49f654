"""No worker threads in a simulation: FastAPI runs a plain `def` handler or dependency in one of
anyio's threads, which finishes at a wall-clock moment, outside the world's one order of events.
The node's handlers are all coroutines; `refuse_threaded` checks it when a node joins the world,
so a plain function added later fails loudly instead of making runs differ."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from chaosnet.errors import BackendError


def refuse_threaded(app: FastAPI) -> None:
    """Raise `BackendError` naming every route whose handler or dependency is no coroutine."""
    routes = list(_api_routes(app.routes))
    if not routes:
        raise BackendError("found no FastAPI routes to check for worker threads")
    threaded = [
        f"{', '.join(sorted(route.methods or ()))} {route.path}: {name}"
        for route in routes
        for name in _plain_functions(route.dependant)
    ]
    if threaded:
        raise BackendError(
            "these handlers would run in worker threads, which a simulation cannot order: "
            + "; ".join(threaded)
        )


def _api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    """Every route, inside included routers too (FastAPI 0.16x keeps those whole)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _api_routes(included.routes)


def _plain_functions(dependant: Dependant) -> Iterator[str]:
    if dependant.call is not None and not inspect.iscoroutinefunction(dependant.call):
        yield getattr(dependant.call, "__name__", repr(dependant.call))
    for sub in dependant.dependencies:
        yield from _plain_functions(sub)
