"""The harness builds an httpx client per node start, health check and load lane, and one every
two seconds for the live display: they share one TLS context, so the CA bundle is read once per
process, not once per client, and a client over the simulator's transport never reads it."""

from __future__ import annotations

import ssl

import httpx
import pytest

from chaosnet import httpclient


@pytest.fixture
def bundle_reads(monkeypatch):
    """Every TLS context built with the CA bundle, httpx's own included; the shared one starts
    unbuilt."""
    reads = []
    create = ssl.create_default_context

    def counted(*args, **kwargs):
        reads.append(create(*args, **kwargs))
        return reads[-1]

    monkeypatch.setattr(ssl, "create_default_context", counted)
    httpclient._tls_context.cache_clear()
    yield reads
    httpclient._tls_context.cache_clear()


def test_the_harness_reads_the_ca_bundle_once_where_httpx_reads_it_per_client(bundle_reads):
    for _ in range(3):
        httpclient.client(timeout=1.0).close()
    assert len(bundle_reads) == 1
    for _ in range(3):
        httpx.Client(timeout=1.0).close()
    assert len(bundle_reads) == 4


def test_a_client_over_a_given_transport_never_reads_it_and_answers_through_it(bundle_reads):
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={"ok": True}))
    with httpclient.client(transport, timeout=1.0) as client:
        assert client.get("http://n1/health").json() == {"ok": True}
    assert bundle_reads == []
