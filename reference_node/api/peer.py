"""The peer protocol (`/p2p/...`): what other nodes send us. The caller names itself in the
`x-chaosnet-node` header; a banned caller gets `403` from the router's one dependency before any
handler reads its body. Handlers parse with the core and hand the result to the peer manager,
which scores bad data against the sender."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, Request

from ..core.block import Block
from ..core.encoding import raise_decode
from ..core.errors import ValidationError
from ..core.tx import Transaction
from ..node import Node
from ..p2p.manager import PeerManager
from ..p2p.sync import MAX_HEADERS
from . import schemas
from .body import field, read_json

PeerId = Header(
    None, alias="x-chaosnet-node", description="the calling node's id (ban scores are kept per id)"
)
BLOCK_ANSWER_BUDGET = 3 * 1024 * 1024
"""Rough JSON size of a getblocks answer after which the remaining hashes come back `missing`."""


def peer_router(node: Node, peers: PeerManager) -> APIRouter:
    def refuse_banned(caller: str | None = PeerId) -> None:
        if peers.is_banned(caller):
            raise HTTPException(403, "banned")

    router = APIRouter(
        prefix="/p2p",
        dependencies=[Depends(refuse_banned)],
        responses=schemas.errors(400, 403, 413),
    )

    @router.post(
        "/handshake",
        openapi_extra=schemas.body(schemas.handshake(node.chain.genesis.hash)),
        responses=schemas.errors(409, 429),
    )
    async def handshake(request: Request) -> dict[str, Any]:
        return peers.accept_handshake(await read_json(request))

    @router.get("/addr")
    async def get_addr() -> dict[str, Any]:
        return {"addrs": peers.addresses()}

    @router.post("/addr", openapi_extra=schemas.body(schemas.ADDR))
    async def post_addr(request: Request) -> dict[str, Any]:
        return {"learned": peers.learn_addresses(field(await read_json(request), "addrs"))}

    @router.post("/tx", openapi_extra=schemas.body(schemas.P2P_TX))
    async def p2p_tx(request: Request, caller: str | None = PeerId) -> dict[str, Any]:
        body = await read_json(request)
        if isinstance(body, dict) and "txs" in body:
            if "tx" in body:
                raise_decode("send either tx or txs, not both")
            return take_txs(body["txs"], caller)
        tx = Transaction.from_json(field(body, "tx"))
        try:
            peers.on_tx(tx, caller)
        except ValidationError as exc:
            if exc.penalty:
                raise
            return {"accepted": False, "reason": exc.reason}
        return {"accepted": True}

    def take_txs(raw: Any, origin: str | None) -> dict[str, Any]:
        """A relayed batch: each tx on its own; the answer lists the refused txids (the sender
        offers those again later). A penalised one stops the batch (400)."""
        if not isinstance(raw, list) or len(raw) > schemas.MAX_TXS_PER_BATCH:
            raise_decode(f"txs must be a list of at most {schemas.MAX_TXS_PER_BATCH} transactions")
        accepted = 0
        rejected: list[str] = []
        with node.admitting_together():
            for item in raw:
                tx = Transaction.from_json(item)
                try:
                    peers.on_tx(tx, origin)
                except ValidationError as exc:
                    if exc.penalty:
                        raise
                    rejected.append(tx.txid)
                    continue
                accepted += 1
        return {"accepted": accepted, "rejected": rejected}

    @router.post("/block", openapi_extra=schemas.body(schemas.BLOCK_MESSAGE))
    async def p2p_block(request: Request, caller: str | None = PeerId) -> dict[str, Any]:
        try:
            block = Block.from_json(field(await read_json(request), "block"))
        except ValidationError as exc:
            peers.penalize(caller, exc)
            raise
        await peers.signatures.check([block])
        peers.on_block(block, caller)
        return {"accepted": True}

    @router.post("/cmpctblock", openapi_extra=schemas.body(schemas.COMPACT_BLOCK))
    async def p2p_compact_block(request: Request, caller: str | None = PeerId) -> dict[str, Any]:
        """A block as header + short ids; `missing` txs are then fetched from the caller."""
        try:
            compact = peers.compact.parse(await read_json(request))
        except ValidationError as exc:
            peers.penalize(caller, exc)
            raise
        return peers.compact.on_compact(compact, caller)

    @router.post(
        "/getblocktxn",
        openapi_extra=schemas.body(schemas.GETBLOCKTXN),
        responses=schemas.errors(404),
    )
    async def getblocktxn(request: Request) -> dict[str, Any]:
        """The transactions at `indexes` of a block we have (a compact block's missing ones)."""
        answer = peers.compact.block_txns(await read_json(request))
        if answer is None:
            raise HTTPException(404, "no such block body here")
        return answer

    @router.post("/inv", openapi_extra=schemas.body(schemas.INV))
    async def p2p_inv(request: Request, caller: str | None = PeerId) -> dict[str, Any]:
        body = await read_json(request)
        answer: dict[str, Any] = {"unknown": peers.on_inv(field(body, "blocks"), caller)}
        if "txs" in body:
            answer["want"] = peers.on_tx_inv(body["txs"], caller)
        return answer

    @router.post("/getheaders", openapi_extra=schemas.body(schemas.GETHEADERS))
    async def getheaders(request: Request, caller: str | None = PeerId) -> dict[str, Any]:
        body = await read_json(request)
        locator = field(body, "locator")
        count = body.get("count", MAX_HEADERS)
        if not isinstance(locator, list) or len(locator) > schemas.MAX_LOCATOR:
            raise_decode(f"locator must be a list of at most {schemas.MAX_LOCATOR} block hashes")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_HEADERS:
            raise_decode(f"count must be an integer 1..{MAX_HEADERS}")
        if not node.persona.serves_chain_to(caller):
            return {"headers": []}
        found = node.chain.headers_after((h for h in locator if isinstance(h, str)), count)
        return {"headers": [h.to_json() for h in found]}

    @router.post("/getblocks", openapi_extra=schemas.body(schemas.GETBLOCKS))
    async def getblocks(request: Request, caller: str | None = PeerId) -> dict[str, Any]:
        hashes = field(await read_json(request), "hashes")
        if not isinstance(hashes, list) or len(hashes) > schemas.MAX_BLOCKS_PER_ANSWER:
            raise_decode(
                f"hashes must be a list of at most {schemas.MAX_BLOCKS_PER_ANSWER} block hashes"
            )
        blocks: list[dict[str, Any]] = []
        missing: list[str] = []
        budget = BLOCK_ANSWER_BUDGET if node.persona.serves_chain_to(caller) else 0
        for block_hash in hashes:
            block = node.block_body(block_hash) if isinstance(block_hash, str) else None
            if block is None or budget <= 0:
                missing.append(str(block_hash))
                continue
            budget -= 400 * len(block.txs) + 200
            blocks.append(block.to_json())
        return {"blocks": blocks, "missing": missing}

    return router
