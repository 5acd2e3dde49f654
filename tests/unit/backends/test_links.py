"""Links against a real toxiproxy-server: every fault is read back or probed after it is set.

A Toxiproxy that only claims to cut a link: tests/integration/backends/test_local_backend.py."""

from __future__ import annotations

import httpx
import pytest

from chaosnet.backends.links import Links
from chaosnet.backends.ports import free_ports
from chaosnet.faults.toxiproxy import ToxiproxyClient
from chaosnet.specs import LinkFault, NodeSpec
from tests.http_client import HTTP


def _links(client: ToxiproxyClient, upstream: str) -> Links:
    links = Links(
        client,
        {"a": upstream, "b": upstream},
        free_ports(2),
        listen_host="127.0.0.1",
        dial_host="127.0.0.1",
        probe_host="127.0.0.1",
    )
    links.create()
    return links


def test_peers_and_dial_map_go_through_the_link_proxies(
    client: ToxiproxyClient, upstream: str
) -> None:
    links = Links(
        client,
        {"a": "a:8000", "b": "b:8000", "c": "c:8000"},
        range(10000, 10006),
        listen_host="0.0.0.0",
        dial_host="toxiproxy",
        probe_host="127.0.0.1",
    )
    assert links.peers(NodeSpec("a", ("c",))) == [f"toxiproxy:{links.ports[('a', 'c')]}"]
    assert links.dial_map("b") == {
        "a:8000": f"toxiproxy:{links.ports[('b', 'a')]}",
        "c:8000": f"toxiproxy:{links.ports[('b', 'c')]}",
    }


def test_a_loss_toxic_reads_back_with_its_toxicity(client: ToxiproxyClient, upstream: str) -> None:
    links = _links(client, upstream)
    links.set_fault("a", "b", LinkFault(loss=0.05, latency_ms=20))
    toxics = {t.name: t for t in client.proxy("a->b").toxics}
    assert toxics["loss"].type == "reset_peer" and toxics["loss"].toxicity == pytest.approx(0.05)
    links.set_fault("a", "b", LinkFault())
    assert client.proxy("a->b").toxics == ()


def test_a_cut_link_refuses_and_a_restored_one_carries_again(
    client: ToxiproxyClient, upstream: str
) -> None:
    links = _links(client, upstream)
    url = f"http://127.0.0.1:{links.ports[('a', 'b')]}/"
    links.set_enabled("a", "b", False)
    with pytest.raises(httpx.ConnectError):
        HTTP.get(url, timeout=2)
    links.set_enabled("a", "b", True)
    assert HTTP.get(url, timeout=5).status_code == 200
