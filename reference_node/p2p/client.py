"""HTTP to peers: one short-lived connection per message, short timeouts, bounded retries.

No keep-alive on purpose: Toxiproxy's `reset_peer` toxic is drawn per connection, so one
connection per message makes a lossy link lose individual messages, like the real thing.

Messages go as bytes to a `Carrier` (the port `behaviors/wire.py` declares for a persona's wire,
which sends the same way), which answers status and bytes and fails with httpx's exceptions: over
real TCP that is `http1.TcpCarrier` (an HTTP/1.1 exchange over h11, about a fifth of httpx's CPU
per message), in the simulator its in-process transport. Any other httpx transport (tests wiring
nodes in one process) goes through httpx (`HttpxCarrier`). `carrier_for` makes that choice for
the peer client and for a persona's wire alike. All of the peer client's paths end in the same
`PeerUnreachable` and `PeerRefused`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from typing import Any

import httpx

from ..behaviors.wire import Carrier
from ..metrics import Metrics
from .http1 import TcpCarrier

MAX_RESPONSE = 32 * 1024 * 1024
MAX_CONNECTIONS = 128


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


JSON_CONTENT = {"content-type": "application/json"}


def carrier_for(
    transport: httpx.AsyncBaseTransport | None, connections: int, limit: int
) -> Carrier:
    """How a node's messages leave it: real TCP by default, a transport that carries bytes
    itself (the simulator's) as it is, any other httpx transport through httpx."""
    if transport is None:
        return TcpCarrier(connections, limit)
    if isinstance(transport, Carrier):
        return transport
    return HttpxCarrier(transport, connections, limit)


class HttpxCarrier:
    """A `Carrier` over an httpx transport (tests wiring nodes in one process), reading
    at most `limit` bytes of an answer (+ one chunk)."""

    def __init__(self, transport: httpx.AsyncBaseTransport, connections: int, limit: int) -> None:
        self.http = httpx.AsyncClient(
            limits=httpx.Limits(max_keepalive_connections=0, max_connections=connections),
            transport=transport,
        )
        self.limit = limit

    async def aclose(self) -> None:
        await self.http.aclose()

    async def exchange(
        self,
        dial: str,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> tuple[int, bytes]:
        url = f"http://{dial}{path}"
        async with self.http.stream(
            method, url, content=body, headers=dict(headers), timeout=timeout
        ) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                chunks.append(chunk)
                if size > self.limit:
                    break
            return response.status_code, b"".join(chunks)


def encode(payload: Any) -> bytes:
    """A message body: encode it once to push the same message to every peer."""
    return json.dumps(payload, separators=(",", ":")).encode()


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
        self.headers = {"x-chaosnet-node": node_id, "x-chaosnet-address": address}
        self.carrier = carrier_for(transport, MAX_CONNECTIONS, MAX_RESPONSE)

    async def close(self) -> None:
        await self.carrier.aclose()

    async def call(
        self,
        dial: str,
        path: str,
        payload: Any = None,
        *,
        attempts: int = 1,
        timeout: float = 5.0,
    ) -> Any:
        """POST `payload` (GET when None; bytes: JSON already encoded, see `encode`) to
        `http://dial/path`; the decoded JSON answer."""
        body = payload if payload is None or isinstance(payload, bytes) else encode(payload)
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
        headers = {**self.headers, **JSON_CONTENT} if body is not None else self.headers
        try:
            status, data = await self.carrier.exchange(dial, method, path, headers, body, timeout)
        except httpx.ConnectError as exc:
            raise PeerUnreachable(f"{url}: refused: {exc}", refused=True) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            # a peer may advertise any string as its address; one that is no URL is unreachable
            raise PeerUnreachable(f"{url}: {exc.__class__.__name__}: {exc}") from exc
        if body:
            self.metrics.bytes_out.inc(len(body))
        if len(data) > MAX_RESPONSE:
            raise PeerUnreachable(f"{url}: response larger than {MAX_RESPONSE} bytes")
        self.metrics.bytes_in.inc(len(data))
        try:
            decoded = json.loads(data) if data else None
        except ValueError as exc:
            raise PeerUnreachable(f"{url}: answer is not JSON") from exc
        if 400 <= status < 500:
            message = decoded.get("error", "") if isinstance(decoded, dict) else ""
            raise PeerRefused(status, str(message))
        if status >= 300:
            raise PeerUnreachable(f"{url}: HTTP {status}")
        return decoded
