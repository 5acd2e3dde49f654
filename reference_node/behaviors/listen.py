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

MAX_REQUEST = 4 * 1024 * 1024
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
    """One HTTP/1.1 request per connection; anything odd is hung up on."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), REQUEST_TIMEOUT)
            lines = head.decode("latin-1").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = min(int(value), MAX_REQUEST)
            raw = await asyncio.wait_for(reader.readexactly(length), REQUEST_TIMEOUT)
            status, data = self.reply(method, path, raw)
            writer.write(
                f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
                f"content-length: {len(data)}\r\nconnection: close\r\n\r\n".encode()
                + data
            )
            await writer.drain()
        except (OSError, ValueError, TimeoutError, EOFError, asyncio.LimitOverrunError):
            pass
        finally:
            await _hang_up(reader, writer)
