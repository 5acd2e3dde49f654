"""The HTTP server side: the user API and the peer protocol endpoints on one FastAPI app.

Bodies are read and parsed by hand (through the core's strict `from_json`) rather than by pydantic
models, so every malformed input becomes `400 {"error": "..."}` with the core's own message, and
the size limit is enforced before a body is buffered.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import __version__
from ..core.block import Block
from ..core.encoding import MAX_U63, is_hex, loads, raise_decode
from ..core.errors import ValidationError
from ..core.spv import make_proof
from ..core.tx import Transaction
from ..metrics import Metrics
from ..node import Node
from ..p2p.manager import MAX_HEADERS, HandshakeRefused, PeerManager

log = logging.getLogger("reference_node.api")

MAX_BODY = 4 * 1024 * 1024
MAX_BLOCKS_PER_ANSWER = 64
MAX_TXS_PER_BATCH = 1000
BLOCK_ANSWER_BUDGET = 3 * 1024 * 1024

_TX_SCHEMA = {
    "type": "object",
    "required": ["sender", "recipient", "amount", "fee", "nonce", "signature"],
    "properties": {
        "sender": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "recipient": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "amount": {"type": "integer", "minimum": 0},
        "fee": {"type": "integer", "minimum": 0},
        "nonce": {"type": "integer", "minimum": 0},
        "signature": {"type": "string", "pattern": "^[0-9a-f]{128}$"},
    },
    "additionalProperties": False,
}


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


class LimitAndCount:
    """ASGI middleware: refuse bodies over MAX_BODY with 413 and count body bytes both ways."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > MAX_BODY:
            await self._refuse(send, 413 if declared.isdigit() else 400, scope)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                await self._refuse(send, 413, scope)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        self.metrics.bytes_in.inc(size)
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def counting_send(message: Message) -> None:
            if message["type"] == "http.response.body":
                self.metrics.bytes_out.inc(len(message.get("body", b"")))
            await send(message)

        await self.app(scope, replay, counting_send)

    async def _refuse(self, send: Send, status: int, scope: Scope) -> None:
        self.metrics.invalid_messages.inc()
        text = (
            f"body larger than {MAX_BODY} bytes" if status == 413 else "bad Content-Length header"
        )
        response = error(status, text)
        await response(scope, _no_body, send)


async def _no_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def read_json(request: Request) -> Any:
    return loads(await request.body())


def _field(obj: Any, key: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise_decode(f"body must be a JSON object with a {key!r} field")
    return obj[key]


def _check_hash(value: str, what: str) -> str:
    if not is_hex(value, 32):
        raise_decode(f"{what} must be 64 lowercase hex characters")
    return value


def create_app(node: Node, manager: PeerManager, start_background: bool = True) -> FastAPI:
    """The node's app; `start_background` runs the P2P and mining loops for the app's lifetime."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from ..miner import Miner

        miner = Miner(node)
        persona: asyncio.Task[None] | None = None
        if start_background:
            manager.start()
            miner.start()
            persona = asyncio.create_task(node.persona.run(manager), name="persona")
        try:
            yield
        finally:
            if persona is not None:
                persona.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await persona
            await miner.stop()
            await manager.stop()
            node.store.close()
            log.info("stopped")

    app = FastAPI(title="chaosnet reference node", version=__version__, lifespan=lifespan)
    app.add_middleware(LimitAndCount, metrics=node.metrics)

    @app.exception_handler(ValidationError)
    async def on_invalid(request: Request, exc: ValidationError) -> JSONResponse:
        return error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def on_bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', '')}"
            for e in exc.errors()
        )
        return error(400, f"invalid request: {problems}")

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(HandshakeRefused)
    async def on_refused(request: Request, exc: HandshakeRefused) -> JSONResponse:
        return error(exc.status, str(exc))

    def peer_of(request: Request) -> str | None:
        return request.headers.get("x-chaosnet-node")

    def guard(request: Request) -> JSONResponse | None:
        if manager.is_banned(peer_of(request)):
            return error(403, "banned")
        return None

    def block_json(block: Block, height: int) -> dict[str, Any]:
        return {
            "hash": block.hash,
            "height": height,
            "confirmations": node.chain.height - height + 1,
            **block.to_json(),
        }

    def serve_block(block_hash: str) -> Response:
        entry = node.chain.get(block_hash)
        if entry is None or not entry.has_data:
            return error(404, f"no block {block_hash}")
        block = node.block_body(block_hash)
        if block is None:
            return error(410, f"block {block_hash} was pruned; its header is still served")
        return JSONResponse(block_json(block, entry.height))

    # -- user API --------------------------------------------------------------------------

    @app.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/status")
    async def status() -> dict[str, Any]:
        return node.status([p.describe() for p in manager.table.peers.values()])

    @app.get("/metrics")
    async def metrics() -> Response:
        return Response(node.metrics.render(), media_type="text/plain; version=0.0.4")

    @app.get("/events")
    async def events(since: int = 0, limit: int = 1000) -> dict[str, Any]:
        if not 0 <= since <= MAX_U63 or not 1 <= limit <= 1000:
            raise_decode("since must be >= 0 and limit 1..1000")
        return node.events.page(since, limit)

    @app.post(
        "/tx",
        status_code=202,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _TX_SCHEMA}},
            }
        },
    )
    async def submit_tx(request: Request) -> dict[str, str]:
        tx = Transaction.from_json(await read_json(request))
        return {"txid": node.submit_tx(tx)}

    @app.get("/tx/{txid}")
    async def get_tx(txid: str) -> Response:
        _check_hash(txid, "txid")
        location = node.store.tx_location(txid)
        if location is not None:
            block_hash, height, index = location
            block = node.block_body(block_hash)
            tx = block.txs[index].to_json() if block is not None else None
            return JSONResponse(
                {
                    "tx": tx,
                    "block_hash": block_hash,
                    "height": height,
                    "confirmations": node.chain.height - height + 1,
                }
            )
        pending = node.mempool.txs.get(txid)
        if pending is not None:
            return JSONResponse(
                {"tx": pending.to_json(), "block_hash": None, "height": None, "confirmations": 0}
            )
        return error(404, f"no transaction {txid} in the active chain or the mempool")

    @app.get("/blocks/height/{n}")
    async def block_at(n: int) -> Response:
        if not 0 <= n <= node.chain.height:
            return error(404, f"no block at height {n}; the tip is at {node.chain.height}")
        return serve_block(node.chain.active[n].hash)

    @app.get("/blocks/{block_hash}")
    async def block_by_hash(block_hash: str) -> Response:
        return serve_block(_check_hash(block_hash, "block hash"))

    @app.get("/headers")
    async def headers(
        start: int = Query(0, alias="from", ge=0), count: int = Query(100, ge=1, le=MAX_HEADERS)
    ) -> dict[str, Any]:
        chain = node.chain
        entries = chain.active[start : start + count] if start <= chain.height else []
        return {
            "from": start,
            "height": chain.height,
            "headers": [
                {"hash": e.hash, "height": e.height, **e.header.to_json()} for e in entries
            ],
        }

    @app.get("/balance/{address}")
    async def balance(address: str) -> dict[str, Any]:
        if not is_hex(address, 32):
            raise_decode("address must be 64 lowercase hex characters (an Ed25519 public key)")
        state = node.chain.state
        return {
            "address": address,
            "balance": state.balance(address),
            "nonce": state.nonce(address),
        }

    @app.get("/proof/{txid}")
    async def proof(txid: str) -> Response:
        _check_hash(txid, "txid")
        location = node.store.tx_location(txid)
        if location is None:
            return error(404, f"no transaction {txid} in the active chain")
        block = node.block_body(location[0])
        if block is None:
            return error(410, f"the block of {txid} was pruned; no proof can be built")
        return JSONResponse(make_proof(block, txid))

    # -- peer protocol ---------------------------------------------------------------------

    @app.post("/p2p/handshake")
    async def handshake(request: Request) -> Response:
        return guard(request) or JSONResponse(manager.accept_handshake(await read_json(request)))

    @app.get("/p2p/addr")
    async def get_addr() -> dict[str, Any]:
        return {"addrs": manager.addresses()}

    @app.post("/p2p/addr")
    async def post_addr(request: Request) -> Response:
        refused = guard(request)
        if refused:
            return refused
        learned = manager.learn_addresses(_field(await read_json(request), "addrs"))
        return JSONResponse({"learned": learned})

    @app.post("/p2p/tx")
    async def p2p_tx(request: Request) -> Response:
        refused = guard(request)
        if refused:
            return refused
        body = await read_json(request)
        if isinstance(body, dict) and "txs" in body:
            return JSONResponse(take_txs(body["txs"], peer_of(request)))
        tx = Transaction.from_json(_field(body, "tx"))
        try:
            manager.on_tx(tx, peer_of(request))
        except ValidationError as exc:
            if exc.penalty:
                raise
            return JSONResponse({"accepted": False, "reason": exc.reason})
        return JSONResponse({"accepted": True})

    def take_txs(raw: Any, origin: str | None) -> dict[str, Any]:
        """A relayed batch `{"txs": [...]}`: each tx on its own; the answer lists the refused
        txids (the sender offers those again later). A penalised one stops the batch (400)."""
        if not isinstance(raw, list) or len(raw) > MAX_TXS_PER_BATCH:
            raise_decode(f"txs must be a list of at most {MAX_TXS_PER_BATCH} transactions")
        accepted = 0
        rejected: list[str] = []
        for item in raw:
            tx = Transaction.from_json(item)
            try:
                manager.on_tx(tx, origin)
            except ValidationError as exc:
                if exc.penalty:
                    raise
                rejected.append(tx.txid)
                continue
            accepted += 1
        return {"accepted": accepted, "rejected": rejected}

    @app.post("/p2p/block")
    async def p2p_block(request: Request) -> Response:
        refused = guard(request)
        if refused:
            return refused
        origin = peer_of(request)
        try:
            block = Block.from_json(_field(await read_json(request), "block"))
        except ValidationError as exc:
            manager.penalize(origin, exc)
            raise
        manager.on_block(block, origin)
        return JSONResponse({"accepted": True})

    @app.post("/p2p/inv")
    async def p2p_inv(request: Request) -> Response:
        refused = guard(request)
        if refused:
            return refused
        body = await read_json(request)
        answer: dict[str, Any] = {
            "unknown": manager.on_inv(_field(body, "blocks"), peer_of(request))
        }
        if "txs" in body:
            answer["want"] = manager.on_tx_inv(body["txs"], peer_of(request))
        return JSONResponse(answer)

    @app.post("/p2p/getheaders")
    async def getheaders(request: Request) -> Response:
        refused = guard(request)
        if refused:
            return refused
        body = await read_json(request)
        locator = _field(body, "locator")
        count = body.get("count", MAX_HEADERS)
        if not isinstance(locator, list) or len(locator) > 200:
            raise_decode("locator must be a list of at most 200 block hashes")
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= MAX_HEADERS:
            raise_decode(f"count must be an integer 1..{MAX_HEADERS}")
        found = node.chain.headers_after((h for h in locator if isinstance(h, str)), count)
        return JSONResponse({"headers": [h.to_json() for h in found]})

    @app.post("/p2p/getblocks")
    async def getblocks(request: Request) -> Response:
        refused = guard(request)
        if refused:
            return refused
        hashes = _field(await read_json(request), "hashes")
        if not isinstance(hashes, list) or len(hashes) > MAX_BLOCKS_PER_ANSWER:
            raise_decode(f"hashes must be a list of at most {MAX_BLOCKS_PER_ANSWER} block hashes")
        blocks: list[dict[str, Any]] = []
        missing: list[str] = []
        budget = BLOCK_ANSWER_BUDGET
        for block_hash in hashes:
            block = node.block_body(block_hash) if isinstance(block_hash, str) else None
            if block is None or budget <= 0:
                missing.append(str(block_hash))
                continue
            encoded = block.to_json()
            budget -= 400 * len(block.txs) + 200
            blocks.append(encoded)
        return JSONResponse({"blocks": blocks, "missing": missing})

    return app
