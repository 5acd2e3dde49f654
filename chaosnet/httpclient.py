"""The harness's httpx clients, all sharing one TLS context.

httpx reads the whole CA bundle into a new TLS context for every client it builds: about 250 M
instructions, so ten cost more than importing the CLI. The harness builds clients per node
start, per health check, per load lane and every two seconds for the live display, and speaks
plain HTTP to nodes and Toxiproxy. Its clients share one context, httpx's default one
(`SSL_CERT_FILE` and `SSL_CERT_DIR` honoured as httpx honours them), read once per process:
https still verifies, and a client over a given transport (the simulator's) never reads it.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import httpx

Read = Callable[[str], tuple[int, bytes]]
"""`GET url` answered as (status, body); raises httpx's errors when nothing answers."""


@runtime_checkable
class DirectReads(Protocol):
    """A transport that also answers `GET url` as (status, body) without building httpx requests
    and responses (the simulator's: the observer's polls are most of what a run asks)."""

    def read(self, url: str) -> tuple[int, bytes]: ...


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def client(transport: httpx.BaseTransport | None = None, **options: Any) -> httpx.Client:
    """`httpx.Client(**options)` over `transport`, or over httpx's own with the shared context."""
    if transport is not None:
        return httpx.Client(transport=transport, **options)
    return httpx.Client(verify=_tls_context(), **options)


def reader(http: httpx.Client, transport: httpx.BaseTransport | None) -> Read:
    """`GET` through `transport`'s direct path when it has one, else through `http`."""
    if isinstance(transport, DirectReads):
        return transport.read

    def read(url: str) -> tuple[int, bytes]:
        answer = http.get(url)
        return answer.status_code, answer.content

    return read
