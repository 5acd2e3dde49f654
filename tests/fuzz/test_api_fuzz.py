"""Hostile input against a live node: no 5xx, no crash, and it keeps answering."""

from __future__ import annotations

import contextlib
import itertools
import json
import random
import socket
from collections import Counter
from urllib.parse import quote, urlparse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_node.core.keys import account_address, account_key
from reference_node.core.tx import make_transfer
from tests.http_client import HTTP

pytestmark = pytest.mark.timeout(180)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=80),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6),
    max_leaves=20,
)  # fmt: skip
TX_FIELDS = ("sender", "recipient", "amount", "fee", "nonce", "signature")
GOOD_TX = make_transfer(account_key(0), account_address(1), 1, 1, 0).to_json()
tx_like = st.fixed_dictionaries(
    {}, optional={f: json_values | st.just(GOOD_TX[f]) for f in TX_FIELDS}
)
hex32 = st.binary(min_size=32, max_size=32).map(bytes.hex)
u63 = st.integers(0, 2**63 - 1)
well_typed_tx = st.fixed_dictionaries({
    "sender": st.just(GOOD_TX["sender"]) | hex32, "recipient": hex32, "amount": u63, "fee": u63,
    "nonce": u63 | st.integers(0, 3),
    "signature": st.just(GOOD_TX["signature"]) | st.binary(min_size=64, max_size=64).map(bytes.hex),
})  # fmt: skip
well_typed_header = st.fixed_dictionaries({
    "prev": hex32, "merkle_root": hex32, "timestamp": u63,
    "bits": st.just(4) | st.integers(0, 255),  # the fuzz node's difficulty, or any
    "nonce": u63, "miner": hex32,
})  # fmt: skip
well_typed_block = st.fixed_dictionaries(
    {"header": well_typed_header, "txs": st.lists(well_typed_tx, max_size=3)}
)
well_typed_compact = st.fixed_dictionaries({
    "header": well_typed_header,
    "short_ids": st.lists(st.binary(min_size=6, max_size=6).map(bytes.hex), max_size=4),
    "prefilled": st.lists(
        st.fixed_dictionaries({"index": st.integers(0, 5), "tx": well_typed_tx}), max_size=2
    ),
})  # fmt: skip
SHAPED = {"/tx": well_typed_tx, "/p2p/tx": well_typed_tx, "/p2p/block": well_typed_block,
          "/p2p/cmpctblock": well_typed_compact}  # fmt: skip
"""Every field of the right type and size, the values random: such bodies pass the shape checks
and meet the rules behind them (signature, proof of work, merkle root, parent, nonce)."""
POSTS = ["/tx", "/p2p/handshake", "/p2p/addr", "/p2p/tx", "/p2p/block", "/p2p/inv",
         "/p2p/getheaders", "/p2p/getblocks", "/p2p/cmpctblock", "/p2p/getblocktxn"]  # fmt: skip
GETS = ["/tx/{}", "/blocks/{}", "/blocks/height/{}", "/balance/{}", "/proof/{}",
        "/headers?from={}&count={}", "/events?since={}"]  # fmt: skip
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


WRAP_KEY = {"/p2p/tx": "tx", "/p2p/block": "block", "/p2p/inv": "blocks",
            "/p2p/getheaders": "locator", "/p2p/getblocks": "hashes", "/p2p/addr": "addrs"}  # fmt: skip


def test_json_bodies_never_cause_a_5xx(node_url):
    """Every example speaks as a peer never seen before, so the ban that a bad block earns its
    sender cannot answer the next examples: each body meets the parsers (the answer is 2xx or a
    4xx naming the rule that refused it, never the ban check's 403). The tally says how many
    examples got past the ban check and what answered them."""
    peers = itertools.count()
    outcomes: Counter[str] = Counter()

    @SETTINGS
    @given(path=st.sampled_from(POSTS), data=st.data(), wrap=st.booleans())
    def send(path, data, wrap):
        body = data.draw(json_values | tx_like)
        payload = {WRAP_KEY[path]: body} if wrap and path in WRAP_KEY else body
        peer = f"fuzz-peer-{next(peers)}"
        response = HTTP.post(node_url + path, json=payload, headers={"x-chaosnet-node": peer})
        assert response.status_code < 500, response.text
        outcomes["examples"] += 1
        if response.status_code == 403:
            outcomes["refused by the ban check"] += 1
            return
        outcomes["reached the parsers"] += 1
        if response.status_code >= 400:
            error = response.json()["error"]
            assert error and error != "banned", response.text
            outcomes[f"{path}: {response.status_code} {error.partition(':')[0]}"] += 1
        else:
            outcomes[f"{path}: {response.status_code}"] += 1

    send()
    print("\n" + "\n".join(f"{count:5d}  {what}" for what, count in outcomes.most_common()))
    assert outcomes["refused by the ban check"] == 0, outcomes
    assert outcomes["reached the parsers"] > outcomes["examples"] / 2, outcomes


def test_bodies_shaped_like_messages_meet_the_rules_behind_the_shape(node_url):
    """Well-typed transactions and blocks with random values, each from a fresh peer: most get
    past the shape checks and are judged by the rules, and every answer is still a clean 2xx or
    a 4xx naming the rule (never a 5xx, never the ban check)."""
    peers = itertools.count()
    outcomes: Counter[str] = Counter()

    @SETTINGS
    @given(path=st.sampled_from(sorted(SHAPED)), data=st.data())
    def send(path, data):
        body = data.draw(SHAPED[path])
        payload = {WRAP_KEY[path]: body} if path in WRAP_KEY else body
        peer = f"shaped-peer-{next(peers)}"
        response = HTTP.post(node_url + path, json=payload, headers={"x-chaosnet-node": peer})
        assert response.status_code < 500, response.text
        assert response.status_code != 403, response.text
        outcomes["examples"] += 1
        reason = response.json()["error"].partition(":")[0] if response.status_code >= 400 else ""
        outcomes["past the shape checks"] += reason != "malformed"
        outcomes[f"{path}: {response.status_code} {reason}".rstrip()] += 1

    send()
    print("\n" + "\n".join(f"{count:5d}  {what}" for what, count in outcomes.most_common()))
    assert outcomes["past the shape checks"] > outcomes["examples"] / 2, outcomes


@SETTINGS
@given(
    template=st.sampled_from(GETS),
    args=st.lists(st.text(max_size=70) | st.integers(-(2**80), 2**80).map(str), min_size=2),
)
def test_path_and_query_parameters_never_cause_a_5xx(node_url, template, args):
    path = template.format(*(quote(a, safe="") or "x" for a in args))
    response = HTTP.get(node_url + path)
    assert response.status_code < 500, response.text


@SETTINGS
@given(raw=st.binary(max_size=300))
def test_raw_bytes_as_bodies_are_400(node_url, raw):
    response = HTTP.post(node_url + "/tx", content=raw)
    assert response.status_code in (202, 400), response.text


def test_oversized_body_is_413(node_url):
    response = HTTP.post(node_url + "/p2p/block", content=b"x" * (4 * 1024 * 1024 + 1))
    assert response.status_code == 413 and "larger" in response.json()["error"]


def test_garbage_on_the_socket_does_not_kill_the_node(node_url):
    rng = random.Random(7)
    target = urlparse(node_url)
    for _ in range(40):
        with socket.create_connection((target.hostname, target.port), timeout=2) as sock:
            sock.sendall(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 2000))))
            sock.settimeout(0.5)
            with contextlib.suppress(OSError):
                sock.recv(100)
    assert HTTP.get(node_url + "/health").json() == {"ok": True}


def test_a_peer_sending_invalid_blocks_gets_banned(node_url):
    tip = HTTP.get(node_url + "/status").json()
    header = {"prev": tip["tip"], "merkle_root": "00" * 32, "timestamp": 1, "bits": 4,
              "nonce": 0, "miner": "11" * 32}  # fmt: skip
    block = {"header": header, "txs": []}
    statuses = [
        HTTP.post(
            node_url + "/p2p/block", json={"block": block}, headers={"x-chaosnet-node": "evil"}
        ).status_code
        for _ in range(3)
    ]
    assert statuses[0] == 400 and 403 in statuses
    banned = HTTP.post(node_url + "/p2p/getheaders", json={"locator": []},
                        headers={"x-chaosnet-node": "evil"})  # fmt: skip
    assert banned.status_code == 403
    assert HTTP.get(node_url + "/health").json() == {"ok": True}
    assert json.loads(HTTP.get(node_url + "/status").text)["height"] >= 0
