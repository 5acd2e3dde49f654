"""Fake identities for the sybil and eclipse personas: many node ids, each with its own address.

Every identity has a door of its own (`listen`: a TCP listener of the attacker's process on
local and docker, a virtual host of the attacker's node on sim), so the addresses are distinct
(they fill a victim's address table) and attacker-controlled. What a door does with a message is
the persona's choice:
  * hang up (sybil): close at once, so whatever a victim sends there is lost; the victim drops
    such a peer after a few failed messages and the next round handshakes it again;
  * `StalePeer` (eclipse): answer every peer message as a well-behaved peer that has nothing new
    (no headers after your locator, every block missing), so the victim keeps the identity in its
    slot for good and learns nothing through it.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from .listen import Door, Listen
from .wire import Wire

MAX_LISTENERS = 64
"""Identities beyond this share doors (distinct node ids, repeated addresses)."""


class StalePeer:
    """One identity answering like a peer stuck where the eclipse began: it keeps the identity's
    slot at the victim (every message gets a sound answer) and delivers nothing."""

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

    def reply(self, method: str, path: str, raw: bytes) -> tuple[int, bytes]:
        """`answer` on the wire (a `listen.Reply`): JSON in and out; a body that is not JSON
        raises ValueError, and the door hangs up."""
        status, answer = self.answer(method, path, json.loads(raw) if raw else None)
        return status, json.dumps(answer).encode()


class Identities:
    def __init__(self, own_id: str, count: int) -> None:
        self.node_ids = [f"{own_id}~{i}" for i in range(count)]
        self.addresses: list[str] = []
        self._doors: list[Door] = []

    async def open(
        self, listen: Listen, stale_hello: Callable[[], dict[str, Any]] | None = None
    ) -> None:
        """Open one door per identity (at most MAX_LISTENERS): hanging up, or answering as a
        `StalePeer` whose handshake copies `stale_hello()`."""
        stale: list[StalePeer] = []
        for i in range(min(len(self.node_ids), MAX_LISTENERS)):
            if stale_hello is not None:
                stale.append(StalePeer(self.node_ids[i], "", stale_hello))
            door = await listen(stale[-1].reply if stale_hello is not None else None)
            self._doors.append(door)
            self.addresses.append(door.address)
        for peer, address in zip(stale, self.addresses, strict=False):
            peer.address, peer.addresses = address, self.addresses

    def close(self) -> None:
        for door in self._doors:
            door.close()

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
