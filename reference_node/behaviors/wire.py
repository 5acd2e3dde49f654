"""How personas talk to peers directly: any identity, any payload, the answer's status code.

The honest P2P client sends as this node and keeps its own bookkeeping (failures, drops); an
attacker needs to speak as other identities and to see every refusal (400 invalid, 403 banned,
429 full), so it gets this small client of its own. The wiring builds it and may pass an httpx
transport, so a simulator can carry an attacker's messages in-process like the honest ones, and
`listen`, where the attacker's identities are answered (`listen.Listen`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable
from typing import Any

import httpx

from .listen import Listen

UNREACHABLE = 0
"""The status reported when no HTTP answer came back."""


class Wire:
    def __init__(
        self,
        node_id: str,
        address: str,
        listen: Listen,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.node_id = node_id
        self.address = address
        self.listen = listen
        self.http = httpx.AsyncClient(
            limits=httpx.Limits(max_keepalive_connections=0, max_connections=256),
            timeout=httpx.Timeout(3.0, connect=2.0),
            transport=transport,
        )

    async def close(self) -> None:
        await self.http.aclose()

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
            response = await self.http.post(f"http://{dial}{path}", content=body, headers=headers)
        except (httpx.HTTPError, httpx.InvalidURL):
            return UNREACHABLE, None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        return response.status_code, answer

    async def push_blocks(self, dials: Iterable[str], blocks: list[dict[str, Any]]) -> None:
        """Send a run of blocks to each peer in order (parents first), all peers at once."""

        async def one(dial: str) -> None:
            for block in blocks:
                status, _ = await self.post(dial, "/p2p/block", {"block": block})
                if status in (UNREACHABLE, 403):
                    return

        await asyncio.gather(*(one(d) for d in dials))
