"""A small Toxiproxy REST client with a timeout on every call, and a local server manager.

Why not toxiproxy-python: it keeps the server address in class attributes (one server per
process), has no bulk `/populate`, and no timeouts — and Toxiproxy v2.12.0 can hang its whole API
when a toxic of a closed connection is removed. Here every call has a deadline and a hung call
becomes `HarnessFault` (the harness failed, not the system under test). See docs/decisions.md.

    ToxiproxyClient(api_url)        one server; proxies, toxics, enable/disable, metrics
    toxics_for(LinkFault)           the toxics that make a link look like the fault (pure)
    parse_proxy_bytes(text)         bytes per proxy from `-proxy-metrics` Prometheus text
    server_env()                    the environment every backend starts a server with

The toxiproxy-server process of the local backend is `chaosnet.backends.toxiproxy_server`.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
from prometheus_client.parser import text_string_to_metric_families

from chaosnet import httpclient
from chaosnet.errors import BackendError, HarnessFault
from chaosnet.specs import LinkFault

DEFAULT_TIMEOUT = 5.0


def server_env() -> dict[str, str]:
    """Toxiproxy logs several lines for every connection below `warn`, and peers open one per
    message: a 20-node docker run at the image's default level wrote 69,000 lines through the
    engine's log driver (it was not what delayed docker's blocks: docs/performance.md). Both
    backends run it at one level; `LOG_LEVEL` in chaosnet's own environment overrides it."""
    return {"LOG_LEVEL": os.environ.get("LOG_LEVEL", "warn")}


@dataclass(frozen=True)
class ProxySpec:
    """A proxy to create: `listen` and `upstream` are `host:port`."""

    name: str
    listen: str
    upstream: str
    enabled: bool = True


@dataclass(frozen=True)
class Toxic:
    """One toxic as Toxiproxy knows it; `stream` is `upstream` (client→server) or `downstream`.

    Every Toxiproxy attribute (latency, jitter, rate, timeout, …) is an integer; a float would be
    refused by the server's JSON decoding.
    """

    name: str
    type: str
    stream: str = "downstream"
    toxicity: float = 1.0
    attributes: dict[str, int] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "stream": self.stream,
            "toxicity": self.toxicity,
            "attributes": dict(self.attributes),
        }


@dataclass(frozen=True)
class Proxy:
    """A proxy as the server reports it."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[Toxic, ...]


def toxics_for(fault: LinkFault) -> list[Toxic]:
    """The toxics of one directed link, following docs/architecture.md ("Links and faults").

    Names are fixed per kind, so replacing a fault updates toxics in place instead of piling up.
    """
    toxics: list[Toxic] = []
    if fault.latency_ms > 0 or fault.jitter_ms > 0:
        attributes = {"latency": round(fault.latency_ms), "jitter": round(fault.jitter_ms)}
        # upstream: what the dialling node sends (block/tx pushes, requests) is what is delayed;
        # answers come back undelayed, so a message exchange costs the link's latency once
        toxics.append(Toxic("latency", "latency", "upstream", 1.0, attributes))
    if fault.bandwidth_kbps is not None:
        rate = {"rate": max(1, round(fault.bandwidth_kbps))}
        toxics.append(Toxic("bandwidth_up", "bandwidth", "upstream", 1.0, rate))
        toxics.append(Toxic("bandwidth_down", "bandwidth", "downstream", 1.0, rate))
    if fault.loss > 0:
        toxics.append(Toxic("loss", "reset_peer", "upstream", min(fault.loss, 1.0), {"timeout": 0}))
    return toxics


def _toxic_from(data: dict[str, Any]) -> Toxic:
    return Toxic(
        name=str(data["name"]),
        type=str(data["type"]),
        stream=str(data.get("stream", "downstream")),
        toxicity=float(data.get("toxicity", 1.0)),
        attributes={k: int(v) for k, v in (data.get("attributes") or {}).items()},
    )


def _proxy_from(data: dict[str, Any]) -> Proxy:
    return Proxy(
        name=str(data["name"]),
        listen=str(data["listen"]),
        upstream=str(data["upstream"]),
        enabled=bool(data["enabled"]),
        toxics=tuple(_toxic_from(t) for t in data.get("toxics") or []),
    )


class ToxiproxyClient:
    """One Toxiproxy server's REST API; every call times out after `timeout` seconds."""

    def __init__(self, api_url: str, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.api_url = api_url.rstrip("/")
        self.timeout = timeout
        self._http = httpclient.client(base_url=self.api_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ToxiproxyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, body: object = None) -> httpx.Response:
        """Send one request; a timeout is a HarnessFault, an API error a BackendError."""
        what = f"Toxiproxy {method} {path} at {self.api_url}"
        try:
            response = self._http.request(method, path, json=body)
        except httpx.TimeoutException as exc:
            raise HarnessFault(
                f"{what} did not answer within {self.timeout:g}s (Toxiproxy v2.12 can hang its API "
                "when removing a toxic of a closed connection); the run cannot be trusted"
            ) from exc
        except httpx.HTTPError as exc:
            raise HarnessFault(f"{what} failed: {exc}") from exc
        if response.status_code >= 400:
            try:
                detail = response.json().get("error", response.text)
            except ValueError:
                detail = response.text
            raise BackendError(f"{what}: HTTP {response.status_code}: {detail}")
        return response

    @staticmethod
    def _p(name: str) -> str:
        return quote(name, safe="")

    def version(self) -> str:
        return str(self._call("GET", "/version").json()["version"])

    def populate(self, proxies: Iterable[ProxySpec]) -> list[Proxy]:
        """Create (or update) many proxies in one call."""
        body = [
            {"name": p.name, "listen": p.listen, "upstream": p.upstream, "enabled": p.enabled}
            for p in proxies
        ]
        data = self._call("POST", "/populate", body).json()
        return [_proxy_from(p) for p in data.get("proxies", [])]

    def proxies(self) -> dict[str, Proxy]:
        data = self._call("GET", "/proxies").json()
        return {name: _proxy_from(p) for name, p in data.items()}

    def proxy(self, name: str) -> Proxy:
        return _proxy_from(self._call("GET", f"/proxies/{self._p(name)}").json())

    def set_enabled(self, name: str, enabled: bool) -> None:
        """Disabling refuses new connections and cuts open ones (a partition)."""
        self._call("POST", f"/proxies/{self._p(name)}", {"enabled": enabled})

    def add_toxic(self, proxy: str, toxic: Toxic) -> None:
        self._call("POST", f"/proxies/{self._p(proxy)}/toxics", toxic.body())

    def update_toxic(self, proxy: str, toxic: Toxic) -> None:
        path = f"/proxies/{self._p(proxy)}/toxics/{self._p(toxic.name)}"
        self._call("POST", path, {"toxicity": toxic.toxicity, "attributes": toxic.attributes})

    def remove_toxic(self, proxy: str, toxic_name: str) -> None:
        self._call("DELETE", f"/proxies/{self._p(proxy)}/toxics/{self._p(toxic_name)}")

    def set_toxics(self, proxy: str, toxics: Iterable[Toxic]) -> None:
        """Make `toxics` the proxy's whole set: update same-named ones, add new, remove the rest."""
        wanted = {t.name: t for t in toxics}
        current = {t.name: t for t in self.proxy(proxy).toxics}
        for name, old in current.items():
            kept = wanted.get(name)
            if kept is None or (kept.type, kept.stream) != (old.type, old.stream):
                self.remove_toxic(proxy, name)
        for name, new in wanted.items():
            before = current.get(name)
            if before is None or (new.type, new.stream) != (before.type, before.stream):
                self.add_toxic(proxy, new)
            elif (new.toxicity, new.attributes) != (before.toxicity, before.attributes):
                self.update_toxic(proxy, new)

    def set_fault(self, proxy: str, fault: LinkFault) -> None:
        self.set_toxics(proxy, toxics_for(fault))

    def link_bytes(self) -> dict[str, int]:
        """Bytes each proxy carried (both directions), from the server's Prometheus metrics.

        Needs the server flag `-proxy-metrics` (Toxiproxy >= 2.6); empty when it is off.
        """
        return parse_proxy_bytes(self._call("GET", "/metrics").text)


def parse_proxy_bytes(text: str) -> dict[str, int]:
    """Sum `toxiproxy_proxy_sent_bytes_total` over directions, per proxy label."""
    totals: dict[str, int] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            proxy = sample.labels.get("proxy")
            if sample.name == "toxiproxy_proxy_sent_bytes_total" and proxy is not None:
                totals[proxy] = totals.get(proxy, 0) + int(sample.value)
    return totals


def wait_until_answers(client: ToxiproxyClient, deadline_s: float) -> str:
    """Poll `/version` until the server answers (bounded); returns the version."""
    end = time.monotonic() + deadline_s
    last: Exception | None = None
    while time.monotonic() < end:
        try:
            return client.version()
        except BackendError as exc:
            last = exc
            time.sleep(0.05)
    raise HarnessFault(
        f"Toxiproxy at {client.api_url} did not answer within {deadline_s:g}s: {last}"
    )
