"""Request bodies: at most MAX_BODY bytes, counted both ways, parsed by the core's strict reader.

The limit is enforced while the body streams in (not after buffering it), so a hostile peer
cannot make the node hold 1 GB; bodies are parsed by hand rather than by pydantic models, so every
malformed input is `400 {"error": ...}` with the core's own message naming the field.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.encoding import loads, raise_decode
from ..metrics import Metrics
from .errors import error

MAX_BODY = 4 * 1024 * 1024


class LimitAndCount:
    """ASGI middleware: refuse bodies over MAX_BODY with 413 and count body bytes both ways."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(scope, receive, send, self.metrics)
        if body is None:
            return
        self.metrics.bytes_in.inc(len(body))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                self.metrics.bytes_out.inc(len(message.get("body", b"")))
            await send(message)

        await self.app(scope, replay, counting_send)


async def read_body(scope: Scope, receive: Receive, send: Send, metrics: Metrics) -> bytes | None:
    """The request's whole body, or None when the client left or the body was refused here and
    answered (413 over MAX_BODY, declared or streamed; 400 for a Content-Length that is no
    number; either counted as an invalid message). Counts no body bytes: its callers do."""
    declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
    if not declared.isdigit() or int(declared) > MAX_BODY:
        await _refuse(send, 413 if declared.isdigit() else 400, scope, metrics)
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            await _refuse(send, 413, scope, metrics)
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _refuse(send: Send, status: int, scope: Scope, metrics: Metrics) -> None:
    metrics.invalid_messages.inc()
    text = f"body larger than {MAX_BODY} bytes" if status == 413 else "bad Content-Length header"
    await error(status, text)(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def render(content: Any) -> bytes:
    """JSON bytes exactly as FastAPI's `JSONResponse` renders an answer."""
    return json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


async def read_json(request: Request) -> Any:
    return loads(await request.body())


def field(obj: Any, key: str) -> Any:
    """`obj[key]` of a JSON object body; DecodeError (400) when it is not there."""
    if not isinstance(obj, dict) or key not in obj:
        raise_decode(f"body must be a JSON object with a {key!r} field")
    return obj[key]
