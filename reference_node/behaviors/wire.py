"""How personas talk to peers directly: any identity, any payload, the answer's status code.

The honest P2P client sends as this node and keeps its own bookkeeping (failures, drops); an
attacker needs to speak as other identities and to see every refusal (400 invalid, 403 banned,
429 full), so it gets this small client of its own. The wiring builds it on the same kind of
`Carrier` the honest client's messages go through (`p2p.client.carrier_for`: real TCP, or the
simulator's in-process links), and `listen`, where the attacker's identities are answered
(`listen.Listen`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable

import httpx

from .listen import Listen

UNREACHABLE = 0
"""The status reported when no HTTP answer came back."""
TIMEOUT = 3.0
"""Seconds for the connection and for each wait on the answer."""


@runtime_checkable
class Carrier(Protocol):
    """How a message leaves a node, for the wire and the honest peer client alike (the
    carriers are built by `p2p.client.carrier_for`). Declared here, so that a persona depends
    on nothing of the peer client."""

    async def exchange(
        self,
        dial: str,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> tuple[int, bytes]:
        """Deliver one message to `http://dial/path`: the answer's status and body; raises
        `httpx.TransportError`s as a real connection would."""

    async def aclose(self) -> None:
        """Release what the carrier holds open."""


class Wire:
    def __init__(
        self,
        node_id: str,
        address: str,
        listen: Listen,
        carrier: Carrier,
    ) -> None:
        self.node_id = node_id
        self.address = address
        self.listen = listen
        self.carrier = carrier

    async def close(self) -> None:
        await self.carrier.aclose()

    async def post(
        self, dial: str, path: str, payload: Any, *, node_id: str = "", address: str = ""
    ) -> tuple[int, Any]:
        """POST as `node_id` (default: this node); (status, decoded answer or None)."""
        headers = {
            "content-type": "application/json",
            "x-chaosnet-node": node_id or self.node_id,
            "x-chaosnet-address": address or self.address,
        }
        body = json.dumps(payload).encode()
        try:
            status, data = await self.carrier.exchange(dial, "POST", path, headers, body, TIMEOUT)
        except (httpx.HTTPError, httpx.InvalidURL):
            return UNREACHABLE, None
        try:
            answer = json.loads(data)
        except ValueError:
            answer = None
        return status, answer

    async def push_blocks(self, dials: Iterable[str], blocks: list[dict[str, Any]]) -> None:
        """Send a run of blocks to each peer in order (parents first), all peers at once."""

        async def one(dial: str) -> None:
            for block in blocks:
                status, _ = await self.post(dial, "/p2p/block", {"block": block})
                if status in (UNREACHABLE, 403):
                    return

        await asyncio.gather(*(one(d) for d in dials))
