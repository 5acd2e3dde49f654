"""The handshake document: ours parses back; another network, version or shape is refused."""

import pytest

from reference_node.core.errors import DecodeError
from reference_node.p2p.hello import HandshakeRefused, make_hello, parse_hello


def test_our_hello_parses_back_to_what_we_said(harness):
    harness.extend(2)
    hello = make_hello(harness.chain, "n1", "127.0.0.1:8001")
    parsed = parse_hello(hello, harness.chain.genesis.hash)
    assert (parsed.node_id, parsed.address, parsed.height) == ("n1", "127.0.0.1:8001", 2)
    assert parsed.total_work == harness.chain.tip.work and parsed.tip == harness.chain.tip.hash


def test_another_network_or_version_is_refused_with_400(harness):
    hello = make_hello(harness.chain, "n1", "a:1")
    with pytest.raises(HandshakeRefused, match="different network") as refused:
        parse_hello(hello, "ff" * 32)
    assert refused.value.status == 400
    with pytest.raises(HandshakeRefused, match="protocol version"):
        parse_hello({**hello, "version": 2}, harness.chain.genesis.hash)


@pytest.mark.parametrize(
    "change",
    [{"node_id": ""}, {"address": "x" * 257}, {"height": -1}, {"total_work": True}, {"tip": {}}],
)
def test_a_malformed_hello_is_a_decode_error(harness, change):
    hello = {**make_hello(harness.chain, "n1", "a:1"), **change}
    with pytest.raises(DecodeError):
        parse_hello(hello, harness.chain.genesis.hash)


def test_a_tip_that_is_no_hash_is_ignored(harness):
    hello = {**make_hello(harness.chain, "n1", "a:1"), "tip": "not a hash"}
    assert parse_hello(hello, harness.chain.genesis.hash).tip is None


def test_only_an_explicit_true_asks_for_compact_blocks(harness):
    hello = make_hello(harness.chain, "n1", "a:1", compact_blocks=True)
    assert parse_hello(hello, harness.chain.genesis.hash).compact_blocks is True
    for older in (
        {k: v for k, v in hello.items() if k != "compact_blocks"},
        {**hello, "compact_blocks": "yes"},
    ):
        assert parse_hello(older, harness.chain.genesis.hash).compact_blocks is False
