"""Links against a real toxiproxy-server: every fault is read back or probed after it is set,
and a Toxiproxy that only says it disabled a proxy is caught."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from chaosnet.backends.links import Links
from chaosnet.backends.ports import free_ports
from chaosnet.backends.toxiproxy_server import ToxiproxyServer
from chaosnet.errors import HarnessFault
from chaosnet.faults.toxiproxy import ToxiproxyClient
from chaosnet.specs import LinkFault, NodeSpec


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
        httpx.get(url, timeout=2)
    links.set_enabled("a", "b", True)
    assert httpx.get(url, timeout=5).status_code == 200


@pytest.fixture
def lying_toxiproxy(toxiproxy: ToxiproxyServer) -> Iterator[str]:
    """A real HTTP server in front of the real Toxiproxy: forwards every call except a disable,
    which it answers 200 without passing it on."""
    real = httpx.Client(base_url=toxiproxy.api_url, timeout=5)

    class Liar(BaseHTTPRequestHandler):
        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.command == "POST" and json.loads(body or b"{}") == {"enabled": False}:
                name = self.path.rsplit("/", 1)[-1]
                answer = real.get(f"/proxies/{name}")
                status, data = 200, json.dumps({**answer.json(), "enabled": False}).encode()
            else:
                answer = real.request(self.command, self.path, content=body)
                status, data = answer.status_code, answer.content
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_DELETE = _relay

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Liar)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)
    real.close()


def test_a_toxiproxy_that_only_claims_to_cut_a_link_is_a_harness_fault(
    lying_toxiproxy: str, upstream: str
) -> None:
    with ToxiproxyClient(lying_toxiproxy) as liar:
        links = _links(liar, upstream)
        with pytest.raises(HarnessFault, match=r"link a->b: .* accepts connections"):
            links.set_enabled("a", "b", False)
