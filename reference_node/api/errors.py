"""Every error answer is `4xx {"error": "..."}` (the contract), whoever raised it.

The core's `ValidationError` carries the rule that failed; FastAPI's own request validation (path
and query parameters) and Starlette's HTTP errors (404 no route, 405 wrong method) are relabelled
into the same shape, keeping their headers: a 405 must say which methods are `Allow`ed.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

from ..core.errors import ValidationError
from ..p2p.hello import HandshakeRefused


def error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


async def _invalid(request: Request, exc: Exception) -> JSONResponse:
    return error(400, str(exc))


async def _bad_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}" for e in exc.errors()
    )
    return error(400, f"invalid request: {problems}")


async def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed(request))
    return error(exc.status_code, str(exc.detail), headers)


def _allowed(request: Request) -> list[str]:
    """Every method some route serves at this path. Starlette's own `Allow` names only the first
    route it matched, so `/p2p/addr` (GET and POST, two routes) would claim to take GET alone."""
    methods: set[str] = set()
    for route in _leaf_routes(request.app.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def _leaf_routes(routes: list[BaseRoute]) -> list[BaseRoute]:
    """The app's routes with included routers opened (FastAPI keeps an included router whole,
    as one route that names no methods)."""
    leaves: list[BaseRoute] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        leaves += _leaf_routes(included.routes) if included is not None else [route]
    return leaves


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HandshakeRefused)
    return error(exc.status, str(exc))


def install(app: FastAPI) -> None:
    app.add_exception_handler(ValidationError, _invalid)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(HandshakeRefused, _refused)
