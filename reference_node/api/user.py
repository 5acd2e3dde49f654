"""The user API: what operators, the runner and load generators call (contract in
docs/architecture.md). Reads come from the node's chain, mempool and store; the one write is
`POST /tx`, committed to SQLite before `202` is answered."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ..behaviors import Dormant
from ..core.block import Block
from ..core.encoding import MAX_U63, is_hex
from ..core.spv import make_proof
from ..core.tx import Transaction
from ..events import MAX_PAGE
from ..miner import Miner
from ..node import Node
from ..p2p.manager import PeerManager
from ..p2p.sync import MAX_HEADERS
from . import schemas
from .body import read_json, render
from .errors import error

Hash = Annotated[str, Path(pattern=schemas.HEX32, description="64 lowercase hex characters")]


METRICS_TYPE = "text/plain; version=0.0.4"
METRIC_NAME = "name[]"
"""`/metrics?name[]=chaosnet_height&name[]=…`: only those series, as Prometheus' own servers do."""
PLAIN_HEADERS = [(b"content-type", f"{METRICS_TYPE}; charset=utf-8".encode())]
JSON_HEADERS = [(b"content-type", b"application/json")]

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
BLOCK_AT = "/blocks/height/"
TX_AT = "/tx/"


class PolledReads:
    """The reads a runner polls every half second of every node (`/status`, `/events`,
    `/metrics`) and reads block by block at the end of a run (`/blocks/height/N`), for the
    routes below and for a direct door (`answer`) that a simulator calls without the HTTP server,
    as it does for the peer protocol (see peer.py)."""

    def __init__(self, node: Node, peers: PeerManager) -> None:
        self.node = node
        self.peers = peers

    def status(self) -> dict[str, Any]:
        return self.node.status(self.peers.describe_peers())

    def events(self, since: int, limit: int, txids: bool = False) -> dict[str, Any]:
        """A page of the event ring; with `txids`, each block event also lists its block's
        txids, read from the store now rather than kept in the ring (a 10,000-block sync of full
        blocks would hold a million txids in memory for a reader that rarely wants them)."""
        page = self.node.events.page(since, limit)
        if txids:
            page["events"] = [self._with_txids(event) for event in page["events"]]
        return page

    def _with_txids(self, event: dict[str, Any]) -> dict[str, Any]:
        if event["kind"] != "block":
            return event
        block = self.node.block_body(event["hash"])
        if block is None:  # pruned: the reader falls back to asking /tx
            return event
        return {**event, "txids": [tx.txid for tx in block.txs]}

    def block_json(self, block: Block, height: int) -> dict[str, Any]:
        return {
            "hash": block.hash,
            "height": height,
            "confirmations": self.node.chain.height - height + 1,
            **block.to_json(),
        }

    def tx(self, txid: str) -> dict[str, Any] | None:
        """A transaction of the active chain with its confirmations, or of the mempool with 0."""
        location = self.node.store.tx_location(txid)
        if location is not None:
            block_hash, height, index = location
            block = self.node.block_body(block_hash)
            return {
                "tx": block.txs[index].to_json() if block is not None else None,
                "block_hash": block_hash,
                "height": height,
                "confirmations": self.node.chain.height - height + 1,
            }
        pending = self.node.mempool.txs.get(txid)
        if pending is None:
            return None
        return {"tx": pending.to_json(), "block_hash": None, "height": None, "confirmations": 0}

    def _block_at(self, digits: str) -> dict[str, Any] | None:
        """The active chain's block at that height, or None when the HTTP app should answer:
        not a plain number, above the tip, or pruned."""
        if not (digits.isascii() and digits.isdigit()) or int(digits) > self.node.chain.height:
            return None
        height = int(digits)
        block = self.node.block_body(self.node.chain.active[height].hash)
        return None if block is None else self.block_json(block, height)

    def answer(self, path: str, query: bytes) -> Answer | None:
        """What the HTTP app answers to `GET path?query`, or None for anything but these reads
        with plain arguments (the HTTP app answers those, and every refusal)."""
        if path.startswith(BLOCK_AT) and not query:
            block = self._block_at(path.removeprefix(BLOCK_AT))
            if block is None:
                return None
            status, headers, content = 200, JSON_HEADERS, render(block)
        elif path.startswith(TX_AT) and not query and is_hex(txid := path.removeprefix(TX_AT), 32):
            found = self.tx(txid)
            if found is None:
                return None
            status, headers, content = 200, JSON_HEADERS, render(found)
        elif path == "/status" and not query:
            status, headers, content = 200, JSON_HEADERS, render(self.status())
        elif path == "/events" and (read := events_query(query)) is not None:
            since, txids = read
            status, headers, content = (
                200,
                JSON_HEADERS,
                render(self.events(since, MAX_PAGE, txids)),
            )
        elif path == "/metrics" and (names := metric_names(query)) is not None:
            status, headers, content = 200, PLAIN_HEADERS, self.node.metrics.render(names)
        else:
            return None
        self.node.metrics.bytes_out.inc(len(content))
        return status, headers, content


class RunnerControls:
    """The calls a runner makes to steer a node (`POST /mining/start` at its time zero, `POST
    /persona/activate` at an attack's start), for the routes below and for a direct door
    (`answer`) that a simulator calls without the HTTP server, as for `PolledReads`: building a
    node's routes costs about 0.1 CPU s, which a simulated node that is only polled never pays."""

    def __init__(self, node: Node, miner: Miner) -> None:
        self.node = node
        self.miner = miner

    def start_mining(self) -> dict[str, Any]:
        """`mining`: the node mines at all (`--mine`); `started`: this call started it."""
        return {"mining": self.miner.enabled, "started": self.miner.release()}

    def activate_persona(self) -> dict[str, Any]:
        """`activated`: this call started a dormant persona; any other is active from the start."""
        persona = self.node.persona
        activated = persona.activate() if isinstance(persona, Dormant) else False
        return {"persona": persona.name, "active": True, "activated": activated}

    def answer(self, method: str, path: str, body: bytes) -> Answer | None:
        """What the HTTP app answers to a bodiless `POST` of one of these, or None for anything
        else (the HTTP app answers that, and every refusal)."""
        if method != "POST" or body:
            return None
        if path == "/mining/start":
            content = render(self.start_mining())
        elif path == "/persona/activate":
            content = render(self.activate_persona())
        else:
            return None
        self.node.metrics.bytes_out.inc(len(content))
        return 200, JSON_HEADERS, content


def events_query(query: bytes) -> tuple[int, bool] | None:
    """`since=N` with an optional `&txids=1`, as the runner sends them; None for anything else
    (the HTTP app parses and refuses the rest)."""
    since, _, rest = query.partition(b"&")
    if not since.startswith(b"since=") or not since[6:].isdigit() or rest not in (b"", b"txids=1"):
        return None
    value = int(since[6:])
    return None if value > MAX_U63 else (value, bool(rest))


def metric_names(query: bytes) -> list[str] | None:
    """The `name[]` values of a `/metrics` query string, parsed as Starlette parses it; None when
    the query holds anything else."""
    pairs = parse_qsl(query.decode("latin-1"), keep_blank_values=True)
    if any(key != METRIC_NAME for key, _ in pairs):
        return None
    return [value for _, value in pairs]


def user_router(
    node: Node, peers: PeerManager, reads: PolledReads, controls: RunnerControls
) -> APIRouter:
    router = APIRouter(responses=schemas.errors(400, 413))

    def serve_block(block_hash: str) -> Response:
        entry = node.chain.get(block_hash)
        if entry is None or not entry.has_data:
            return error(404, f"no block {block_hash}")
        block = node.block_body(block_hash)
        if block is None:
            return error(410, f"block {block_hash} was pruned; its header is still served")
        return JSONResponse(reads.block_json(block, entry.height))

    @router.get("/health")
    async def health() -> dict[str, bool]:
        return {"ok": True}

    @router.get("/status")
    async def status() -> dict[str, Any]:
        return reads.status()

    @router.get(
        "/metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics(
        names: list[str] = Query(
            [], alias=METRIC_NAME, description="only these series (all when none is given)"
        ),
    ) -> Response:
        return Response(node.metrics.render(names), media_type=METRICS_TYPE)

    @router.get("/events")
    async def events(
        since: int = Query(0, ge=0, le=MAX_U63),
        limit: int = Query(MAX_PAGE, ge=1, le=MAX_PAGE),
        txids: bool = Query(False, description="block events also list their block's txids"),
    ) -> dict[str, Any]:
        return reads.events(since, limit, txids)

    @router.post("/tx", status_code=202, openapi_extra=schemas.body(schemas.TX))
    async def submit_tx(request: Request) -> dict[str, str]:
        tx = Transaction.from_json(await read_json(request))
        return {"txid": node.submit_tx(tx)}

    @router.get("/tx/{txid}", responses=schemas.errors(404))
    async def get_tx(txid: Hash) -> Response:
        found = reads.tx(txid)
        if found is None:
            return error(404, f"no transaction {txid} in the active chain or the mempool")
        return JSONResponse(found)

    @router.get("/blocks/height/{n}", responses=schemas.errors(404, 410))
    async def block_at(n: Annotated[int, Path(ge=0, le=MAX_U63)]) -> Response:
        if n > node.chain.height:
            return error(404, f"no block at height {n}; the tip is at {node.chain.height}")
        return serve_block(node.chain.active[n].hash)

    @router.get("/blocks/{block_hash}", responses=schemas.errors(404, 410))
    async def block_by_hash(block_hash: Hash) -> Response:
        return serve_block(block_hash)

    @router.get("/headers")
    async def headers(
        start: int = Query(0, alias="from", ge=0, le=MAX_U63),
        count: int = Query(100, ge=1, le=MAX_HEADERS),
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

    @router.get("/balance/{address}")
    async def balance(address: Hash) -> dict[str, Any]:
        state = node.chain.state
        return {
            "address": address,
            "balance": state.balance(address),
            "nonce": state.nonce(address),
        }

    @router.post("/persona/activate")
    async def activate_persona() -> dict[str, Any]:
        """A dormant attacker's `attack: start` (the runner calls it); a no-op on any other node,
        whose persona is active from the start. `activated`: this call started it."""
        return controls.activate_persona()

    @router.post("/mining/start")
    async def start_mining() -> dict[str, Any]:
        """The runner's time zero for a node started with `--hold-mining`; a no-op on any other.
        `mining`: the node mines (it was started with `--mine`); `started`: this call started it."""
        return controls.start_mining()

    @router.get("/proof/{txid}", responses=schemas.errors(404, 410))
    async def proof(txid: Hash) -> Response:
        location = node.store.tx_location(txid)
        if location is None:
            return error(404, f"no transaction {txid} in the active chain")
        block = node.block_body(location[0])
        if block is None:
            return error(410, f"the block of {txid} was pruned; no proof can be built")
        return JSONResponse(make_proof(block, txid))

    return router
