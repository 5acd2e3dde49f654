"""One HTTP/1.1 exchange per fresh TCP connection, on asyncio streams: how a node's peer
messages travel over a real network (`TcpCarrier`, the `DirectCarrier` of `client.py`).

Why not httpx here: a node under load sends dozens of peer messages a second, and httpx spent
about 3.5 ms of CPU on each (its pool, its request and response models, and httpcore asking for
`sniffio` by a failing import on every request), more than the receiving node spends answering.
This does only what a peer message needs: write the request with `Connection: close`, read the
status line, the headers and a body framed by `Content-Length`, chunked encoding or the end of
the connection, at most `limit` bytes of it (+ one read). It fails with httpx's exceptions, so
the client maps every carrier's failures the same way: `ConnectError` when nothing accepted the
connection, a `TimeoutException` when the connection or a wait for the answer took too long,
`RemoteProtocolError` for an answer that is no HTTP/1, `ReadError` for a connection that broke.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

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
                        writer.write(encode_request(method, dial, path, headers, body))
                        paced = _Paced(reader, deadline, timeout)
                        return await _read_response(paced, self.limit)
                    finally:
                        writer.close()
            except TimeoutError as exc:
                raise httpx.ReadTimeout(f"nothing for {timeout} s") from exc
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                raise httpx.RemoteProtocolError(f"{exc.__class__.__name__}: {exc}") from exc
            except OSError as exc:
                raise httpx.ReadError(f"{exc.__class__.__name__}: {exc}") from exc


def split_dial(dial: str) -> tuple[str, int]:
    """`host:port` → (host, port); a peer may advertise any string, and junk is unreachable."""
    host, _, port = dial.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise httpx.ConnectError(f"{dial!r} is not host:port")
    return host, int(port)


def encode_request(
    method: str, dial: str, path: str, headers: Mapping[str, str], body: bytes | None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"host: {dial}", "connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"content-length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


async def _connect(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    try:
        return await asyncio.open_connection(host, port, limit=MAX_HEAD)
    except TimeoutError:
        raise  # an OSError too, but a timeout: unreachable, not refused
    except OSError as exc:  # refused, unreachable network, unknown host
        raise httpx.ConnectError(f"{exc.__class__.__name__}: {exc}") from exc


class _Paced:
    """The answer's reads, each pushing the exchange's deadline `timeout` further on."""

    def __init__(self, reader: asyncio.StreamReader, deadline: asyncio.Timeout, timeout: float):
        self.reader = reader
        self.deadline = deadline
        self.timeout = timeout

    def _arrived(self, data: bytes) -> bytes:
        self.deadline.reschedule(asyncio.get_running_loop().time() + self.timeout)
        return data

    async def line(self, end: bytes) -> bytes:
        return self._arrived(await self.reader.readuntil(end))

    async def some(self, most: int) -> bytes:
        return self._arrived(await self.reader.read(most))

    async def exactly(self, size: int) -> bytes:
        """`size` bytes, read a chunk at a time (each chunk resets the wait)."""
        chunks: list[bytes] = []
        left = size
        while left:
            chunk = await self.some(min(left, READ_CHUNK))
            if not chunk:
                raise asyncio.IncompleteReadError(b"".join(chunks), size)
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


async def _read_response(reader: _Paced, limit: int) -> tuple[int, bytes]:
    head = await reader.line(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    if not version.startswith("HTTP/1.") or not rest[:3].isdigit():
        raise httpx.RemoteProtocolError(f"not an HTTP/1 status line: {status_line[:80]!r}")
    status = int(rest[:3])
    fields: dict[str, str] = {}
    for line in header_lines:
        name, sep, value = line.partition(":")
        if sep:
            fields[name.strip().lower()] = value.strip()
    if "chunked" in fields.get("transfer-encoding", "").lower():
        return status, await _read_chunked(reader, limit)
    length = fields.get("content-length")
    if length is not None:
        return status, await reader.exactly(min(int(length), limit + 1))
    return status, await _read_to_end(reader, limit)


async def _read_chunked(reader: _Paced, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk_size = int((await reader.line(b"\r\n")).split(b";")[0].strip(), 16)
        if chunk_size == 0:
            break
        chunks.append(await reader.exactly(chunk_size))
        await reader.exactly(2)
        size += chunk_size
    return b"".join(chunks)


async def _read_to_end(reader: _Paced, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await reader.some(READ_CHUNK)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
