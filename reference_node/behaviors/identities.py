"""Fake identities for the sybil and eclipse personas: many node ids, each with its own address.

Every identity advertises a listener of this process that accepts connections and closes them at
once: the addresses are distinct (so they fill a victim's address table) and attacker-controlled,
and whatever a victim sends there is lost. A victim drops such a peer after a few failed messages;
the next round handshakes it again, so the slot stays taken. (Holding connections open instead
would turn this into a connection-exhaustion attack, a different persona.)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

from .wire import Wire

MAX_LISTENERS = 64
"""Identities beyond this share listeners (distinct node ids, repeated addresses)."""


async def _hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


class Identities:
    def __init__(self, own_id: str, count: int) -> None:
        self.node_ids = [f"{own_id}~{i}" for i in range(count)]
        self.addresses: list[str] = []
        self._servers: list[asyncio.Server] = []

    async def open(self, bind_host: str, advertised_host: str) -> None:
        """Start one listener per identity (at most MAX_LISTENERS) on free ports."""
        for _ in range(min(len(self.node_ids), MAX_LISTENERS)):
            server = await asyncio.start_server(_hang_up, bind_host, 0)
            self._servers.append(server)
            port = server.sockets[0].getsockname()[1]
            self.addresses.append(f"{advertised_host}:{port}")

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
