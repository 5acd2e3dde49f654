"""Fake identities for the sybil and eclipse personas: many node ids, each with its own address.

Every identity advertises a listener of this process: the addresses are distinct (so they fill a
victim's address table) and attacker-controlled. What a listener does with a message is the
persona's choice:
  * `hang_up` (sybil): accept and close at once, so whatever a victim sends there is lost; the
    victim drops such a peer after a few failed messages and the next round handshakes it again;
  * `StalePeer` (eclipse): answer every peer message as a well-behaved peer that has nothing new
    (no headers after your locator, every block missing), so the victim keeps the identity in its
    slot for good and learns nothing through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from .wire import Wire

MAX_LISTENERS = 64
"""Identities beyond this share listeners (distinct node ids, repeated addresses)."""
MAX_REQUEST = 4 * 1024 * 1024
REQUEST_TIMEOUT = 5.0

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


class StalePeer:
    """One identity's listener answering like a peer stuck where the eclipse began: it keeps the
    identity's slot at the victim (every message gets a sound answer) and delivers nothing."""

    def __init__(self, node_id: str, address: str, hello: Callable[[], dict[str, Any]]) -> None:
        self.node_id, self.address, self.hello = node_id, address, hello
        self.addresses: list[str] = []

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        body = body if isinstance(body, dict) else {}
        answers: dict[tuple[str, str], Any] = {
            ("POST", "/p2p/handshake"): {
                **self.hello(),
                "node_id": self.node_id,
                "address": self.address,
            },
            ("GET", "/p2p/addr"): {"addrs": self.addresses},
            ("POST", "/p2p/addr"): {"learned": 0},
            ("POST", "/p2p/getheaders"): {"headers": []},
            ("POST", "/p2p/getblocks"): {"blocks": [], "missing": body.get("hashes", [])},
            ("POST", "/p2p/block"): {"accepted": True},
            ("POST", "/p2p/tx"): {"accepted": 0, "rejected": []},
            ("POST", "/p2p/inv"): {"unknown": 0, "want": []},
        }
        found = answers.get((method, path.partition("?")[0]))
        return (404, {"error": "not found"}) if found is None else (200, found)

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One HTTP/1.1 request per connection, as peers send them; anything odd is hung up on."""
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
            status, answer = self.answer(method, path, json.loads(raw) if raw else None)
            data = json.dumps(answer).encode()
            writer.write(
                f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n"
                f"content-length: {len(data)}\r\nconnection: close\r\n\r\n".encode()
                + data
            )
            await writer.drain()
        except (OSError, ValueError, TimeoutError, EOFError, asyncio.LimitOverrunError):
            pass
        finally:
            await hang_up(reader, writer)


class Identities:
    def __init__(self, own_id: str, count: int) -> None:
        self.node_ids = [f"{own_id}~{i}" for i in range(count)]
        self.addresses: list[str] = []
        self._servers: list[asyncio.Server] = []

    async def open(
        self,
        bind_host: str,
        advertised_host: str,
        stale_hello: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        """Start one listener per identity (at most MAX_LISTENERS) on free ports: hanging up,
        or answering as a `StalePeer` whose handshake copies `stale_hello()`."""
        stale: list[StalePeer] = []
        for i in range(min(len(self.node_ids), MAX_LISTENERS)):
            handler: Handler = hang_up
            if stale_hello is not None:
                stale.append(StalePeer(self.node_ids[i], "", stale_hello))
                handler = stale[-1]
            server = await asyncio.start_server(handler, bind_host, 0)
            self._servers.append(server)
            port = server.sockets[0].getsockname()[1]
            self.addresses.append(f"{advertised_host}:{port}")
        for peer, address in zip(stale, self.addresses, strict=False):
            peer.address, peer.addresses = address, self.addresses

    async def close(self) -> None:
        for server in self._servers:
            server.close()

    def address_of(self, i: int) -> str:
        return self.addresses[i % len(self.addresses)]

    async def handshake_all(self, wire: Wire, hello: dict[str, Any], dial: str) -> Counter[int]:
        """Handshake every identity (a copy of our `hello`) with the node at `dial`; a count of
        the answer statuses."""

        async def one(i: int, node_id: str) -> int:
            address = self.address_of(i)
            mine = {**hello, "node_id": node_id, "address": address}
            status, _ = await wire.post(
                dial, "/p2p/handshake", mine, node_id=node_id, address=address
            )
            return status

        statuses = await asyncio.gather(*(one(i, n) for i, n in enumerate(self.node_ids)))
        return Counter(statuses)

    async def advertise(self, wire: Wire, dial: str) -> int:
        """Push every identity's address through address exchange; the answer status."""
        status, _ = await wire.post(
            dial,
            "/p2p/addr",
            {"addrs": self.addresses},
            node_id=self.node_ids[0],
            address=self.addresses[0],
        )
        return status
