"""The Toxiproxy client against a real toxiproxy-server: faults a node would notice."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from chaosnet.backends.ports import free_ports
from chaosnet.backends.toxiproxy_server import ToxiproxyServer
from chaosnet.errors import BackendError, HarnessFault
from chaosnet.faults.toxiproxy import (
    ProxySpec,
    ToxiproxyClient,
    parse_proxy_bytes,
    toxics_for,
)
from chaosnet.specs import LinkFault
from tests.http_client import HTTP


def _proxy(client: ToxiproxyClient, upstream: str, name: str = "a->b") -> str:
    (port,) = free_ports(1)
    client.populate([ProxySpec(name, f"127.0.0.1:{port}", upstream)])
    return f"http://127.0.0.1:{port}/"


def _get_seconds(url: str) -> float:
    start = time.monotonic()
    response = HTTP.get(url, timeout=10)
    assert response.status_code == 200
    return time.monotonic() - start


def _fastest_get_seconds(url: str) -> float:
    return min(_get_seconds(url) for _ in range(3))


def test_populate_creates_every_proxy_in_one_call(client: ToxiproxyClient, upstream: str) -> None:
    ports = free_ports(3)
    specs = [ProxySpec(f"n1->n{i}", f"127.0.0.1:{p}", upstream) for i, p in enumerate(ports, 2)]
    client.populate(specs)
    proxies = client.proxies()
    assert sorted(proxies) == ["n1->n2", "n1->n3", "n1->n4"]
    assert proxies["n1->n3"].listen == f"127.0.0.1:{ports[1]}"
    assert all(p.enabled and not p.toxics for p in proxies.values())


def test_latency_is_measurable_end_to_end(client: ToxiproxyClient, upstream: str) -> None:
    url = _proxy(client, upstream)
    before = _fastest_get_seconds(url)
    client.set_fault("a->b", LinkFault(latency_ms=400))
    delayed = _get_seconds(url)
    client.set_fault("a->b", LinkFault())
    after = _fastest_get_seconds(url)
    # the latency toxic delays the answer by at least its 400 ms. A busy machine adds to every
    # request (0.46 s for a plain GET once on CI), so the comparison is with the fastest of a
    # few undelayed requests, not with an absolute bound.
    assert delayed >= 0.4
    assert delayed - before >= 0.35
    assert delayed - after >= 0.35


def test_disabled_proxy_refuses_connections_and_enabling_restores(
    client: ToxiproxyClient, upstream: str
) -> None:
    url = _proxy(client, upstream)
    client.set_enabled("a->b", False)
    assert client.proxy("a->b").enabled is False
    with pytest.raises(httpx.TransportError):
        HTTP.get(url, timeout=2)
    client.set_enabled("a->b", True)
    assert HTTP.get(url, timeout=5).status_code == 200


def _failures(url: str, attempts: int) -> int:
    failed = 0
    for _ in range(attempts):
        try:
            HTTP.get(url, timeout=5)
        except httpx.TransportError:
            failed += 1
    return failed


def test_loss_toxicity_drops_about_that_share_of_connections(
    client: ToxiproxyClient, upstream: str
) -> None:
    url = _proxy(client, upstream)
    client.set_fault("a->b", LinkFault(loss=1.0))
    assert _failures(url, 10) == 10
    client.set_fault("a->b", LinkFault(loss=0.5))
    assert 15 <= _failures(url, 60) <= 45  # binomial(60, 0.5): outside this is ~1e-4 likely
    client.set_fault("a->b", LinkFault())
    assert _failures(url, 10) == 0


def test_set_toxics_replaces_the_whole_set(client: ToxiproxyClient, upstream: str) -> None:
    _proxy(client, upstream)
    client.set_fault("a->b", LinkFault(latency_ms=50, jitter_ms=5, loss=0.1))
    names = {t.name for t in client.proxy("a->b").toxics}
    assert names == {"latency", "loss"}
    client.set_fault("a->b", LinkFault(latency_ms=80, bandwidth_kbps=64))
    toxics = {t.name: t for t in client.proxy("a->b").toxics}
    assert set(toxics) == {"latency", "bandwidth_up", "bandwidth_down"}
    assert toxics["latency"].attributes == {"latency": 80, "jitter": 0}
    assert toxics["bandwidth_up"].stream == "upstream"
    client.remove_toxic("a->b", "bandwidth_up")
    assert {t.name for t in client.proxy("a->b").toxics} == {"latency", "bandwidth_down"}


def test_link_bytes_come_from_the_metrics(client: ToxiproxyClient, upstream: str) -> None:
    url = _proxy(client, upstream)
    HTTP.get(url, timeout=5)
    carried = 0
    for _ in range(40):  # Toxiproxy counts a chunk just after forwarding it
        carried = client.link_bytes().get("a->b", 0)
        if carried > 1000:
            break
        time.sleep(0.05)
    assert carried > 1000  # the 1000-byte body plus both directions' headers


def test_unknown_proxy_is_a_backend_error_not_a_harness_fault(client: ToxiproxyClient) -> None:
    with pytest.raises(BackendError) as caught:
        client.set_enabled("nope", False)
    assert not isinstance(caught.value, HarnessFault)
    assert "proxy not found" in str(caught.value)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A socket that accepts connections and never answers: a hung Toxiproxy API."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(5)
    for conn in accepted:
        conn.close()
    listener.close()


def test_a_hung_api_call_raises_harness_fault_within_the_timeout(silent_server: str) -> None:
    with ToxiproxyClient(silent_server, timeout=0.5) as client:
        start = time.monotonic()
        with pytest.raises(HarnessFault, match=r"did not answer within 0\.5s"):
            client.remove_toxic("a->b", "latency")
        assert time.monotonic() - start < 3


def test_an_absent_server_is_a_harness_fault() -> None:
    (port,) = free_ports(1)
    with (
        ToxiproxyClient(f"http://127.0.0.1:{port}", timeout=1) as client,
        pytest.raises(HarnessFault),
    ):
        client.proxies()


def test_server_stop_ends_the_process(toxiproxy: ToxiproxyServer) -> None:
    toxiproxy.stop()
    assert toxiproxy.process.poll() is not None
    toxiproxy.stop()  # twice is fine


def test_toxics_for_a_clean_link_is_empty() -> None:
    assert toxics_for(LinkFault()) == []


def test_parse_proxy_bytes_sums_both_directions_per_proxy() -> None:
    text = (
        '# HELP x\ntoxiproxy_proxy_sent_bytes_total{direction="downstream",listener="l",'
        'proxy="a->b",upstream="u"} 5342\n'
        'toxiproxy_proxy_sent_bytes_total{direction="upstream",listener="l",proxy="a->b",'
        'upstream="u"} 158\n'
        'toxiproxy_proxy_received_bytes_total{direction="upstream",proxy="a->b"} 999\n'
    )
    assert parse_proxy_bytes(text) == {"a->b": 5500}
