"""The peer protocol (`/p2p/...`): what other nodes send us. The caller names itself in the
`x-chaosnet-node` header; a banned caller gets `403` before any handler reads its body. Handlers
parse with the core and hand the result to the peer manager, which scores bad data against the
sender.

Each handler takes the raw body and the caller's id, so the same functions serve two doors: the
FastAPI routes (`peer_router`, what `/openapi.json` declares), and `PeerProtocol.answer`, which
skips FastAPI's routing and dependency machinery: about two thirds of a message's cost in a
simulator, which hosts many nodes in one process and calls `answer` with the message's bytes,
and half of a node's CPU per message over TCP (bench/bench_peer_server.py), where `PeerDoor`, in
front of the FastAPI app, hands `answer` every request a route serves. So the FastAPI routes
answer peers only in the test that holds the doors to the same status, headers and JSON bytes
(tests/unit/node/test_peer_protocol.py).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from ..core.block import Block
from ..core.encoding import loads, raise_decode
from ..core.errors import ValidationError
from ..core.tx import Transaction
from ..node import Node
from ..p2p.hello import HandshakeRefused
from ..p2p.manager import PeerManager
from ..p2p.sync import MAX_HEADERS
from . import schemas
from .body import MAX_BODY, field, read_body, render

PeerId = Header(
    None, alias="x-chaosnet-node", description="the calling node's id (ban scores are kept per id)"
)
BLOCK_ANSWER_BUDGET = 3 * 1024 * 1024
"""Rough JSON size of a getblocks answer after which the remaining hashes come back `missing`."""

Handler = Callable[[bytes, str | None], Awaitable[dict[str, Any]]]

PARSED_CACHE_SIZE = 1 << 14

JSON_CONTENT = (b"content-type", b"application/json")


def parse_relayed_tx(item: Any) -> Transaction:
    """`Transaction.from_json`, remembered per process by the exact wire fields (types included:
    `True` must not pass for `1`). A transaction reaches each node from every neighbour, and a
    simulator hosts every node in one process: parsing and hashing it once saves the rest."""
    try:
        key = tuple((name, value.__class__, value) for name, value in item.items())
        return _parse_fields(key)
    except (AttributeError, TypeError):  # not an object, or a field that is no scalar
        return Transaction.from_json(item)


@lru_cache(maxsize=PARSED_CACHE_SIZE)
def _parse_fields(key: tuple[tuple[str, type, Any], ...]) -> Transaction:
    return Transaction.from_json({name: value for name, _, value in key})


@dataclass(frozen=True)
class PeerRoute:
    method: str
    path: str
    handler: Handler
    openapi_extra: dict[str, Any] | None = None
    responses: dict[int | str, dict[str, Any]] | None = None


class PeerProtocol:
    """The `/p2p` handlers of one node, and the direct door to them (`answer`)."""

    def __init__(self, node: Node, peers: PeerManager) -> None:
        self.node = node
        self.peers = peers
        self.routes = [
            PeerRoute(
                "POST",
                "/handshake",
                self.handshake,
                schemas.body(schemas.handshake(node.chain.genesis.hash)),
                schemas.errors(409, 429),
            ),
            PeerRoute("GET", "/addr", self.get_addr),
            PeerRoute("POST", "/addr", self.post_addr, schemas.body(schemas.ADDR)),
            PeerRoute("POST", "/tx", self.p2p_tx, schemas.body(schemas.P2P_TX)),
            PeerRoute("POST", "/block", self.p2p_block, schemas.body(schemas.BLOCK_MESSAGE)),
            PeerRoute(
                "POST", "/cmpctblock", self.p2p_compact_block, schemas.body(schemas.COMPACT_BLOCK)
            ),
            PeerRoute(
                "POST",
                "/getblocktxn",
                self.getblocktxn,
                schemas.body(schemas.GETBLOCKTXN),
                schemas.errors(404),
            ),
            PeerRoute("POST", "/inv", self.p2p_inv, schemas.body(schemas.INV)),
            PeerRoute("POST", "/getheaders", self.getheaders, schemas.body(schemas.GETHEADERS)),
            PeerRoute("POST", "/getblocks", self.getblocks, schemas.body(schemas.GETBLOCKS)),
        ]
        self._by_target = {(r.method, f"/p2p{r.path}"): r.handler for r in self.routes}

    def refuse_banned(self, caller: str | None) -> None:
        if self.peers.is_banned(caller):
            raise HTTPException(403, "banned")

    def serves(self, method: str, path: str) -> bool:
        return (method, path) in self._by_target

    async def answer(
        self, method: str, path: str, caller: str | None, body: bytes
    ) -> tuple[int, bytes]:
        """Status and JSON body the HTTP app would answer for a route `serves` names, with its
        body limit, byte counts and error answers; any other exception propagates, as a server
        error resets the connection."""
        metrics = self.node.metrics
        if len(body) > MAX_BODY:
            metrics.invalid_messages.inc()
            return 413, render({"error": f"body larger than {MAX_BODY} bytes"})
        metrics.bytes_in.inc(len(body))
        try:
            self.refuse_banned(caller)
            status, content = 200, await self._by_target[(method, path)](body, caller)
        except ValidationError as exc:
            status, content = 400, {"error": str(exc)}
        except HandshakeRefused as exc:
            status, content = exc.status, {"error": str(exc)}
        except HTTPException as exc:
            status, content = exc.status_code, {"error": str(exc.detail)}
        encoded = render(content)
        metrics.bytes_out.inc(len(encoded))
        return status, encoded

    async def handshake(self, body: bytes, caller: str | None) -> dict[str, Any]:
        return self.peers.accept_handshake(loads(body))

    async def get_addr(self, body: bytes, caller: str | None) -> dict[str, Any]:
        return {"addrs": self.peers.addresses()}

    async def post_addr(self, body: bytes, caller: str | None) -> dict[str, Any]:
        return {"learned": self.peers.learn_addresses(field(loads(body), "addrs"))}

    async def p2p_tx(self, body: bytes, caller: str | None) -> dict[str, Any]:
        message = loads(body)
        if isinstance(message, dict) and "txs" in message:
            if "tx" in message:
                raise_decode("send either tx or txs, not both")
            return self._take_txs(message["txs"], caller)
        tx = parse_relayed_tx(field(message, "tx"))
        try:
            self.peers.on_tx(tx, caller)
        except ValidationError as exc:
            if exc.penalty:
                raise
            return {"accepted": False, "reason": exc.reason}
        return {"accepted": True}

    def _take_txs(self, raw: Any, origin: str | None) -> dict[str, Any]:
        """A relayed batch: each tx on its own; the answer lists the refused txids (the sender
        offers those again later). A penalised one stops the batch (400)."""
        if not isinstance(raw, list) or len(raw) > schemas.MAX_TXS_PER_BATCH:
            raise_decode(f"txs must be a list of at most {schemas.MAX_TXS_PER_BATCH} transactions")
        accepted = 0
        rejected: list[str] = []
        with self.node.admitting_together():
            for item in raw:
                tx = parse_relayed_tx(item)
                try:
                    self.peers.on_tx(tx, origin)
                except ValidationError as exc:
                    if exc.penalty:
                        raise
                    rejected.append(tx.txid)
                    continue
                accepted += 1
        return {"accepted": accepted, "rejected": rejected}

    async def p2p_block(self, body: bytes, caller: str | None) -> dict[str, Any]:
        try:
            block = Block.from_json(field(loads(body), "block"))
        except ValidationError as exc:
            self.peers.penalize(caller, exc)
            raise
        await self.peers.signatures.check([block])
        self.peers.on_block(block, caller)
        return {"accepted": True}

    async def p2p_compact_block(self, body: bytes, caller: str | None) -> dict[str, Any]:
        """A block as header + short ids; `missing` txs are then fetched from the caller."""
        try:
            compact = self.peers.compact.parse(loads(body), caller)
        except ValidationError as exc:
            self.peers.penalize(caller, exc)
            raise
        return self.peers.compact.on_compact(compact, caller)

    async def getblocktxn(self, body: bytes, caller: str | None) -> dict[str, Any]:
        """The transactions at `indexes` of a block we have (a compact block's missing ones)."""
        answer = self.peers.compact.block_txns(loads(body))
        if answer is None:
            raise HTTPException(404, "no such block body here")
        return answer

    async def p2p_inv(self, body: bytes, caller: str | None) -> dict[str, Any]:
        message = loads(body)
        answer: dict[str, Any] = {"unknown": self.peers.on_inv(field(message, "blocks"), caller)}
        if "txs" in message:
            answer["want"], answer["pending"] = self.peers.on_tx_inv(message["txs"], caller)
        return answer

    async def getheaders(self, body: bytes, caller: str | None) -> dict[str, Any]:
        message = loads(body)
        locator = field(message, "locator")
        count = message.get("count", MAX_HEADERS)
        if not isinstance(locator, list) or len(locator) > schemas.MAX_LOCATOR:
            raise_decode(f"locator must be a list of at most {schemas.MAX_LOCATOR} block hashes")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_HEADERS:
            raise_decode(f"count must be an integer 1..{MAX_HEADERS}")
        if not self.node.persona.serves_chain_to(caller):
            return {"headers": []}
        found = self.node.chain.headers_after((h for h in locator if isinstance(h, str)), count)
        return {"headers": [h.to_json() for h in found]}

    async def getblocks(self, body: bytes, caller: str | None) -> dict[str, Any]:
        hashes = field(loads(body), "hashes")
        if not isinstance(hashes, list) or len(hashes) > schemas.MAX_BLOCKS_PER_ANSWER:
            raise_decode(
                f"hashes must be a list of at most {schemas.MAX_BLOCKS_PER_ANSWER} block hashes"
            )
        blocks: list[dict[str, Any]] = []
        missing: list[str] = []
        node = self.node
        budget = BLOCK_ANSWER_BUDGET if node.persona.serves_chain_to(caller) else 0
        for block_hash in hashes:
            block = node.block_body(block_hash) if isinstance(block_hash, str) else None
            if block is None or budget <= 0:
                missing.append(str(block_hash))
                continue
            budget -= 400 * len(block.txs) + 200
            blocks.append(block.to_json())
        return {"blocks": blocks, "missing": missing}


def peer_router(protocol: PeerProtocol) -> APIRouter:
    """The protocol's routes behind FastAPI, the ban check as the router's one dependency."""

    async def refuse_banned(caller: str | None = PeerId) -> None:
        """A coroutine, as every handler and dependency of the node: a plain function would
        run in a worker thread, outside a simulation's one order of events."""
        protocol.refuse_banned(caller)

    router = APIRouter(
        prefix="/p2p",
        dependencies=[Depends(refuse_banned)],
        responses=schemas.errors(400, 403, 413),
    )
    for route in protocol.routes:
        router.add_api_route(
            route.path,
            _endpoint(route.handler),
            methods=[route.method],
            name=route.handler.__name__,
            description=inspect.cleandoc(route.handler.__doc__ or ""),
            openapi_extra=route.openapi_extra,
            responses=route.responses,
        )
    return router


def _endpoint(handler: Handler) -> Callable[..., Awaitable[dict[str, Any]]]:
    async def endpoint(request: Request, caller: str | None = PeerId) -> dict[str, Any]:
        return await handler(await request.body(), caller)

    return endpoint


class PeerDoor:
    """ASGI middleware: a request `PeerProtocol.serves` is answered by `answer` (its body read
    within the limit as `LimitAndCount` reads it), so peer traffic skips FastAPI's routing and
    dependencies; everything else (a wrong method on a `/p2p` path included) passes on."""

    def __init__(self, app: ASGIApp, protocol: PeerProtocol) -> None:
        self.app = app
        self.protocol = protocol

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        protocol = self.protocol
        if scope["type"] != "http" or not protocol.serves(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        body = await read_body(scope, receive, send, protocol.node.metrics)
        if body is None:
            return
        status, content = await protocol.answer(
            scope["method"], scope["path"], _caller(scope), body
        )
        headers = [(b"content-length", str(len(content)).encode()), JSON_CONTENT]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


def _caller(scope: Scope) -> str | None:
    """The first `x-chaosnet-node` header, as FastAPI's `Header` reads it."""
    for name, value in scope["headers"]:
        if name == b"x-chaosnet-node":
            return str(value.decode("latin-1"))
    return None
