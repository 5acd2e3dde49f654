"""The peer protocol's doors answer alike: the FastAPI routes (what `/openapi.json` declares),
`PeerProtocol.answer` (what the simulator calls with a message's bytes) and `PeerDoor` (which
hands a TCP peer's request to `answer`, in front of FastAPI). Identical nodes get the same
messages, each through one door, and must answer the same status, headers and bytes, and count
the same bytes, for accepted data, refusals, malformed bodies, oversized bodies (declared or
streamed), bad framing, a handshake refused and a banned caller."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI

from reference_node.api import create_app
from reference_node.api.body import MAX_BODY
from reference_node.app import NodeApp
from reference_node.core.keys import account_address, account_key
from reference_node.core.mining import build_block, solve
from reference_node.core.tx import make_transfer
from reference_node.node import NodeConfig

FIXED_TIME = 1_800_000_000.25


def twin(tmp_path: Path, name: str) -> NodeApp:
    config = NodeConfig(
        port=1, data_dir=tmp_path / name, node_id="twin", difficulty=4, genesis_accounts=4
    )
    return NodeApp(config, clock=lambda: FIXED_TIME)


def messages(app: NodeApp) -> list[tuple[str, str, str, bytes]]:
    """(method, path, caller, body) of a conversation touching every kind of answer."""
    chain = app.node.chain
    block = solve(build_block(chain, chain.tip, (), "aa" * 32, app.node.now_ms()))
    good = make_transfer(account_key(0), account_address(1), 5, 1, 0).to_json()
    forged = {**make_transfer(account_key(1), account_address(2), 5, 1, 0).to_json()}
    forged["amount"] = 6  # the signature no longer matches: penalised, the sender banned
    own_hello = app.peers.hello()

    def encoded(value: object) -> bytes:
        return json.dumps(value).encode()

    return [
        ("GET", "/p2p/addr", "p1", b""),
        ("POST", "/p2p/tx", "p1", encoded({"txs": [good]})),
        ("POST", "/p2p/tx", "p1", encoded({"tx": good})),
        ("POST", "/p2p/block", "p1", encoded({"block": block.to_json()})),
        ("POST", "/p2p/getheaders", "p1", encoded({"locator": [chain.genesis.hash]})),
        ("POST", "/p2p/getblocks", "p1", encoded({"hashes": [block.hash, "00" * 32]})),
        ("POST", "/p2p/getblocktxn", "p1", encoded({"hash": "ab" * 32, "indexes": [0]})),
        ("POST", "/p2p/inv", "p1", encoded({"blocks": ["cd" * 32], "txs": ["ef" * 32]})),
        ("POST", "/p2p/handshake", "p1", encoded(own_hello)),
        ("POST", "/p2p/tx", "p1", b'{"txs": [1'),
        ("POST", "/p2p/tx", "p1", b" " * (MAX_BODY + 1)),
        ("POST", "/p2p/tx", "p2", encoded({"txs": [forged]})),
        ("POST", "/p2p/addr", "p2", encoded({"addrs": ["x:1"]})),
    ]


Request = tuple[str, str, list[tuple[str, str]], bytes | tuple[bytes, ...]]
"""(method, target, headers, body); a tuple body is streamed in those chunks, with no length."""


def as_requests(conversation: list[tuple[str, str, str, bytes]]) -> list[Request]:
    return [(m, path, [("x-chaosnet-node", who)], body) for m, path, who, body in conversation]


P1, P2 = [("x-chaosnet-node", "p1")], [("x-chaosnet-node", "p2")]
HOSTILE: list[Request] = [
    ("POST", "/p2p/tx", [*P1, ("content-length", "12x")], b'{"txs": []}'),
    ("POST", "/p2p/block", [*P1, ("content-length", str(MAX_BODY + 1))], b"{}"),
    ("POST", "/p2p/tx", P1, (b" " * MAX_BODY, b"{}")),
    ("POST", "/p2p/tx", P1, (b'{"txs": ', b"[]}")),
    ("POST", "/p2p/block", [("x-chaosnet-node", "p3")], b"[]"),  # bans p3
    ("POST", "/p2p/tx", P1, b"\xff\xfe"),
    ("POST", "/p2p/getheaders", P1, b'{"locator": [], "count": true}'),
    ("POST", "/p2p/inv", [], b'{"blocks": []}'),
    ("GET", "/p2p/addr?since=1", P1, b""),
    ("HEAD", "/p2p/addr", P1, b""),
    ("PUT", "/p2p/tx", P1, b"{}"),
    ("POST", "/p2p/nothing", P1, b"{}"),
    ("POST", "/p2p/tx/", P1, b'{"txs": []}'),
    ("POST", "/p2p/inv", [*P2, ("x-chaosnet-node", "p1")], b'{"blocks": []}'),
    ("POST", "/p2p/inv", [*P1, ("x-chaosnet-node", "p2")], b'{"blocks": []}'),
    ("GET", "/p2p/addr", P2, b""),
    ("POST", "/p2p/tx", P2, b" " * (MAX_BODY + 1)),
]
"""What only HTTP carries, sent after the conversation (which banned p2): bad framing, bodies
over the limit (declared, or streamed without a length), no caller or two, other methods and
paths."""


async def over_http(app: FastAPI, sent: list[Request]) -> list:
    """Status, headers and body of each answer of `app` (driven in-process as ASGI)."""

    async def streamed(chunks: tuple[bytes, ...]) -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://twin") as client:
        answers = []
        for method, target, headers, body in sent:
            content = streamed(body) if isinstance(body, tuple) else body or None
            response = await client.request(method, target, content=content, headers=headers)
            answers.append((response.status_code, response.headers.multi_items(), response.content))
        return answers


def fastapi_routes(app: NodeApp) -> FastAPI:
    """The node's HTTP app without `PeerDoor`: peers answered by the declared FastAPI routes."""
    return create_app(app.node, app.peers, app.p2p, app.reads, app.controls, peer_door=False)


async def direct(app: NodeApp, conversation: list[tuple[str, str, str, bytes]]) -> list:
    answers = []
    for method, path, caller, body in conversation:
        assert app.p2p.serves(method, path)
        answers.append(await app.p2p.answer(method, path, caller, body))
    return answers


def counters(app: NodeApp) -> dict[str, float]:
    metrics = app.node.metrics
    return {
        name: getattr(metrics, name)._value.get()
        for name in ("bytes_in", "bytes_out", "invalid_messages")
    }


def test_the_direct_door_answers_byte_for_byte_like_the_fastapi_routes(tmp_path):
    web, sim = twin(tmp_path, "web"), twin(tmp_path, "sim")
    conversation = messages(web)
    assert conversation == messages(sim)  # the twins really are twins
    through_http = asyncio.run(over_http(fastapi_routes(web), as_requests(conversation)))
    through_direct = asyncio.run(direct(sim, conversation))
    statuses = [status for status, _, _ in through_http]
    assert statuses == [200, 200, 200, 200, 200, 200, 404, 200, 409, 400, 413, 400, 403]
    assert through_direct == [(status, body) for status, _, body in through_http]
    assert counters(sim) == counters(web)
    web.store.close()
    sim.store.close()


def test_the_peer_door_answers_every_request_as_the_fastapi_routes(tmp_path):
    """The node's own app (`PeerDoor` in front) against the same app without it: the same
    status, headers and bytes for every request, and the same bytes and invalid messages
    counted."""
    routes, door = twin(tmp_path, "routes"), twin(tmp_path, "door")
    conversation = messages(routes)
    assert conversation == messages(door)
    sent = as_requests(conversation) + HOSTILE
    expected = asyncio.run(over_http(fastapi_routes(routes), sent))
    answers = asyncio.run(over_http(door.http, sent))
    statuses = [status for status, _, _ in expected[len(conversation) :]]
    assert statuses[:9] == [400, 413, 413, 200, 400, 400, 400, 200, 200]  # framing, bodies
    assert statuses[9:13] == [405, 405, 404, 307]  # methods and paths FastAPI answers both ways
    assert statuses[13:] == [403, 200, 403, 413]  # the first caller counts; size before ban
    assert answers == expected
    assert counters(door) == counters(routes)
    assert counters(door)["invalid_messages"] >= 5
    routes.store.close()
    door.store.close()


def test_only_peer_protocol_routes_take_the_direct_door(tmp_path):
    app = twin(tmp_path, "n")
    assert app.p2p.serves("POST", "/p2p/tx")
    assert not app.p2p.serves("GET", "/p2p/tx")  # a 405 is the HTTP app's to answer
    assert not app.p2p.serves("GET", "/status")
    app.store.close()


def test_a_remembered_parse_tells_true_from_one(tmp_path):
    """The relay's parse cache keys on types too: a tx whose amount is `true` stays malformed
    after the same tx with amount 1 was parsed and remembered."""
    app = twin(tmp_path, "n")
    tx = make_transfer(account_key(0), account_address(1), 1, 1, 0).to_json()
    batch = {"txs": [tx]}
    assert (
        asyncio.run(app.p2p.answer("POST", "/p2p/tx", "p1", json.dumps(batch).encode()))[0] == 200
    )
    tx["amount"] = True
    status, body = asyncio.run(app.p2p.answer("POST", "/p2p/tx", "p3", json.dumps(batch).encode()))
    assert status == 400 and b"amount" in body
    app.store.close()


def comparable(answers: list) -> list:
    """The answers without the metrics' `_created` lines: each twin's own wall-clock birth."""
    return [
        (status, kind, b"\n".join(x for x in content.split(b"\n") if b"_created" not in x))
        for status, kind, content in answers
    ]


def test_the_polled_reads_answer_through_both_doors_alike(tmp_path):
    """`/status`, `/events` and `/metrics` (the runner's polls) as the HTTP app answers them,
    headers included; anything else is left to the HTTP app."""
    web, sim = twin(tmp_path, "web"), twin(tmp_path, "sim")
    chain = web.node.chain
    paid = make_transfer(account_key(0), account_address(1), 5, 1, 0)
    block = solve(build_block(chain, chain.tip, (paid,), "aa" * 32, web.node.now_ms()))
    for node in (web, sim):
        node.node.receive_block(block, "p1")
    reads = [("/status", b""), ("/events", b"since=0"), ("/events", b"since=0&txids=1")]
    reads += [("/events", b"since=1"), ("/metrics", b"")]
    reads += [
        ("/metrics", b"name%5B%5D=chaosnet_invalid_messages_total"),
        ("/metrics", b"name[]=chaosnet_height&name[]=chaosnet_peers&name[]=no_such_metric"),
    ]

    async def over_http() -> list:
        transport = httpx.ASGITransport(app=web.http)
        async with httpx.AsyncClient(transport=transport, base_url="http://twin") as client:
            answers = []
            for path, query in reads:
                response = await client.get(f"{path}?{query.decode()}" if query else path)
                content_type = response.headers["content-type"].encode()
                answers.append((response.status_code, content_type, response.content))
            return answers

    direct = []
    for path, query in reads:
        answer = sim.reads.answer(path, query)
        assert answer is not None, path
        status, headers, content = answer
        direct.append((status, dict(headers)[b"content-type"], content))
    assert comparable(direct) == comparable(asyncio.run(over_http()))
    plain, listed = (json.loads(direct[i][2])["events"][0] for i in (1, 2))
    assert "txids" not in plain, "the ring keeps no txids"
    assert listed["txids"] == [tx.txid for tx in block.txs] and paid.txid in listed["txids"]
    only = sim.reads.answer("/metrics", b"name[]=chaosnet_invalid_messages_total")
    assert only is not None and only[2].count(b"\n# HELP") == 0, "one series, not all of them"
    odd = [("/metrics", b"name=chaosnet_height"), ("/tx", b"")]
    refused = [b"since=-1", b"since=0&limit=2", b"since=0&txids=true", b"txids=1&since=0"]
    for path, query in [*(("/events", q) for q in refused), *odd]:
        assert sim.reads.answer(path, query) is None
    web.store.close()
    sim.store.close()
