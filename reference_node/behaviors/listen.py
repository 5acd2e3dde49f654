"""Where a persona's identities listen: one door per identity, each at an address of its own.

`Listen` is the port. Given how an identity answers a request (a `Reply`), or None to hang up on
whatever comes, it opens a door and hands back its `Door` (the address to advertise, and how to
close it). The node's wiring chooses the implementation and passes it in with the persona's
`Wire`, so a persona's code is the same on every backend:

  * `TcpListen` (local, docker): a TCP listener of the node's process on a free port, speaking
    one HTTP/1.1 request per connection, as peers send them;
  * the simulator's (`chaosnet.backends.sim.doors`): a virtual host answered in-process, behind
    the same link layer as the nodes.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import h11

MAX_REQUEST = 4 * 1024 * 1024
MAX_HEAD = 64 * 1024
READ_CHUNK = 64 * 1024
REQUEST_TIMEOUT = 5.0

Reply = Callable[[str, str, bytes], tuple[int, bytes]]
"""One request (method, path with its query, body) → (status, JSON answer); raising hangs up."""


@dataclass(frozen=True)
class Door:
    address: str
    """HOST:PORT at which peers reach the identity."""
    close: Callable[[], None]


class Listen(Protocol):
    async def __call__(self, reply: Reply | None) -> Door:
        """Open one identity's door, answering with `reply` (None: hang up on every request)."""


class TcpListen:
    """Doors as TCP listeners on `bind_host`, advertised at `advertised_host`."""

    def __init__(self, bind_host: str, advertised_host: str) -> None:
        self.bind_host = bind_host
        self.advertised_host = advertised_host

    async def __call__(self, reply: Reply | None) -> Door:
        handler = _hang_up if reply is None else _HttpDoor(reply)
        server = await asyncio.start_server(handler, self.bind_host, 0)
        port = server.sockets[0].getsockname()[1]
        return Door(f"{self.advertised_host}:{port}", server.close)


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


class _HttpDoor:
    """One HTTP/1.1 request per connection, parsed by h11 (as the peer client is, D17); anything
    odd (bad framing, a body over MAX_REQUEST, a slow sender) is hung up on."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        http = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEAD)
        try:
            request, body = await asyncio.wait_for(_read_request(http, reader), REQUEST_TIMEOUT)
            status, data = self.reply(request.method.decode(), request.target.decode(), body)
            head = [("content-type", "application/json"), ("content-length", str(len(data)))]
            writer.write(
                http.send(
                    h11.Response(status_code=status, headers=[*head, ("connection", "close")])
                )
                + (http.send(h11.Data(data=data)) or b"")
                + (http.send(h11.EndOfMessage()) or b"")
            )
            await writer.drain()
        except (OSError, ValueError, TimeoutError, EOFError, h11.ProtocolError):
            pass
        finally:
            await _hang_up(reader, writer)


async def _read_request(
    http: h11.Connection, reader: asyncio.StreamReader
) -> tuple[h11.Request, bytes]:
    request: h11.Request | None = None
    body = bytearray()
    while True:
        event = http.next_event()
        if event is h11.NEED_DATA:
            chunk = await reader.read(READ_CHUNK)
            if not chunk:
                raise EOFError("the peer hung up mid-request")
            http.receive_data(chunk)
        elif isinstance(event, h11.Request):
            request = event
        elif isinstance(event, h11.Data):
            body += event.data
            if len(body) > MAX_REQUEST:
                raise ValueError("request body over MAX_REQUEST")
        elif isinstance(event, h11.EndOfMessage) and request is not None:
            return request, bytes(body)
        else:
            raise ValueError(f"unexpected {event!r}")
