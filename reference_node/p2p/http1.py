"""One HTTP/1.1 exchange per fresh TCP connection, on asyncio streams: how a node's peer
messages travel over a real network (`TcpCarrier`, a `Carrier` of `client.py`).

Why not httpx here: a node under load sends dozens of peer messages a second, and httpx spent
about 3.5 ms of CPU on each (its pool, its request and response models, and httpcore asking for
`sniffio` by a failing import on every request), more than the receiving node spends answering.
The protocol itself is h11's, the sans-IO HTTP/1.1 state machine httpcore runs underneath httpx
(docs/decisions.md D17): it writes the request and frames the answer (`Content-Length`, chunked,
or up to the end of the connection); this module does only the I/O around it, one request per
connection with `Connection: close`, reading at most `limit` bytes of the answer (+ one read).
It fails with httpx's exceptions, so the client maps every carrier's failures the same way:
`ConnectError` when nothing accepted the connection, a `TimeoutException` when the connection or a
wait for the answer took too long, `RemoteProtocolError` for an answer that is no HTTP/1,
`ReadError` for a connection that broke.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import h11
import httpx

READ_CHUNK = 64 * 1024
MAX_HEAD = 64 * 1024


class TcpCarrier:
    """At most `connections` exchanges at once (the others wait), answers of at most `limit`
    bytes (+ one read: the caller sees it is too long). `timeout` bounds the connection and each
    wait for more of the answer, as httpx's timeout did: a slow link that keeps delivering (a
    bandwidth fault) is not cut off, a silent one is."""

    def __init__(self, connections: int, limit: int) -> None:
        self._slots = asyncio.Semaphore(connections)
        self.limit = limit

    async def aclose(self) -> None:
        """Nothing to release: every exchange closes its own connection."""

    async def exchange(
        self,
        dial: str,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> tuple[int, bytes]:
        host, port = split_dial(dial)
        async with self._slots:
            try:
                async with asyncio.timeout(timeout) as deadline:
                    reader, writer = await _connect(host, port)
                    try:
                        http = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
                        writer.write(_request(http, method, dial, path, headers, body))
                        return await _response(http, reader, deadline, timeout, self.limit)
                    finally:
                        writer.close()
            except TimeoutError as exc:
                raise httpx.ReadTimeout(f"nothing for {timeout} s") from exc
            except h11.ProtocolError as exc:
                raise httpx.RemoteProtocolError(f"{exc.__class__.__name__}: {exc}") from exc
            except OSError as exc:
                raise httpx.ReadError(f"{exc.__class__.__name__}: {exc}") from exc


def split_dial(dial: str) -> tuple[str, int]:
    """`host:port` → (host, port); a peer may advertise any string, and junk is unreachable."""
    host, _, port = dial.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise httpx.ConnectError(f"{dial!r} is not host:port")
    return host, int(port)


def _request(
    http: h11.Connection,
    method: str,
    dial: str,
    path: str,
    headers: Mapping[str, str],
    body: bytes | None,
) -> bytes:
    fields = [("host", dial), ("connection", "close"), *headers.items()]
    if body is not None:
        fields.append(("content-length", str(len(body))))
    data = http.send(h11.Request(method=method, target=path, headers=fields)) or b""
    if body:
        data += http.send(h11.Data(data=body)) or b""
    return data + (http.send(h11.EndOfMessage()) or b"")


async def _connect(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        return await asyncio.open_connection(host, port)
    except TimeoutError:
        raise  # an OSError too, but a timeout: unreachable, not refused
    except OSError as exc:  # refused, unreachable network, unknown host
        raise httpx.ConnectError(f"{exc.__class__.__name__}: {exc}") from exc


async def _response(
    http: h11.Connection,
    reader: asyncio.StreamReader,
    deadline: asyncio.Timeout,
    timeout: float,
    limit: int,
) -> tuple[int, bytes]:
    """The answer's status and body; each read that brings bytes pushes the deadline on."""
    status: int | None = None
    chunks: list[bytes] = []
    size = 0
    while True:
        event = http.next_event()
        if event is h11.NEED_DATA:
            data = await reader.read(READ_CHUNK)
            if data:
                deadline.reschedule(asyncio.get_running_loop().time() + timeout)
            http.receive_data(data)  # b"": the peer closed, which ends an unframed answer
        elif isinstance(event, h11.Response):
            status = event.status_code
        elif isinstance(event, h11.Data):
            chunks.append(bytes(event.data))
            size += len(event.data)
            if size > limit:  # enough to see it is too long
                break
        elif isinstance(event, h11.EndOfMessage):
            break
        elif isinstance(event, h11.ConnectionClosed):
            raise httpx.RemoteProtocolError("the peer closed the connection before answering")
    if status is None:
        raise httpx.RemoteProtocolError("no status line before the body")
    return status, b"".join(chunks)
