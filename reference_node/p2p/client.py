"""HTTP to peers: one short-lived connection per message, short timeouts, bounded retries.

No keep-alive on purpose: Toxiproxy's `reset_peer` toxic is drawn per connection, so one
connection per message makes a lossy link lose individual messages, like the real thing.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from ..metrics import Metrics

MAX_RESPONSE = 32 * 1024 * 1024


class PeerUnreachable(Exception):
    """No answer: connection refused or reset, timeout, or a truncated/garbled response.

    `refused` is True when nothing accepted the connection (a partition, a dead peer): a stronger
    sign that the link is down than a reset or a timeout, which a lossy link produces now and then.
    """

    def __init__(self, message: str, refused: bool = False) -> None:
        super().__init__(message)
        self.refused = refused


class PeerRefused(Exception):
    """The peer answered 4xx: it rejected what we sent (banned, full, invalid)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status


class PeerClient:
    """Sends as this node (`x-chaosnet-node` names us to the peer's ban check).

    `transport` defaults to real TCP; a simulator passes an in-process httpx transport.
    """

    def __init__(
        self,
        metrics: Metrics,
        node_id: str,
        address: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.metrics = metrics
        self.http = httpx.AsyncClient(
            limits=httpx.Limits(max_keepalive_connections=0, max_connections=128),
            timeout=httpx.Timeout(5.0, connect=2.0),
            headers={"x-chaosnet-node": node_id, "x-chaosnet-address": address},
            transport=transport,
        )

    async def close(self) -> None:
        await self.http.aclose()

    async def call(
        self,
        dial: str,
        path: str,
        payload: Any = None,
        *,
        attempts: int = 1,
        timeout: float = 5.0,
    ) -> Any:
        """POST `payload` (GET when None) to `http://dial/path`; the decoded JSON answer."""
        body = None if payload is None else json.dumps(payload, separators=(",", ":")).encode()
        delay = 0.1
        for attempt in range(attempts):
            try:
                return await self._once(dial, path, body, timeout)
            except PeerUnreachable:
                if attempt + 1 == attempts:
                    raise
                await asyncio.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    async def _once(self, dial: str, path: str, body: bytes | None, timeout: float) -> Any:
        url = f"http://{dial}{path}"
        method = "GET" if body is None else "POST"
        headers = {"content-type": "application/json"} if body is not None else {}
        try:
            async with self.http.stream(
                method, url, content=body, headers=headers, timeout=timeout
            ) as response:
                if body:
                    self.metrics.bytes_out.inc(len(body))
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes():
                    size += len(chunk)
                    if size > MAX_RESPONSE:
                        raise PeerUnreachable(f"{url}: response larger than {MAX_RESPONSE} bytes")
                    chunks.append(chunk)
                self.metrics.bytes_in.inc(size)
        except httpx.ConnectError as exc:
            raise PeerUnreachable(f"{url}: refused: {exc}", refused=True) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            # a peer may advertise any string as its address; one that is no URL is unreachable
            raise PeerUnreachable(f"{url}: {exc.__class__.__name__}: {exc}") from exc
        data = b"".join(chunks)
        try:
            decoded = json.loads(data) if data else None
        except ValueError as exc:
            raise PeerUnreachable(f"{url}: answer is not JSON") from exc
        if 400 <= response.status_code < 500:
            message = decoded.get("error", "") if isinstance(decoded, dict) else ""
            raise PeerRefused(response.status_code, str(message))
        if response.status_code >= 300:
            raise PeerUnreachable(f"{url}: HTTP {response.status_code}")
        return decoded
