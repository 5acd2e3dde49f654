"""The link layer: every message between nodes crosses its directed link as Toxiproxy would.

Semantics are those of docs/architecture.md, "Links and faults", in virtual time:

    cut link, node down     the connection is refused: `httpx.ConnectError`
    loss p                  per message (one connection each), drawn from the link's seeded
                            generator: reset before delivery, `httpx.ReadError`
    latency, jitter         the request waits latency ± uniform(jitter) before delivery; answers
                            are not delayed (Toxiproxy's upstream `latency` toxic)
    bandwidth               request and answer each wait their size / rate (KB = 1000 bytes)
    paused target           the request is delivered but not handled until the node resumes; the
                            caller gives up at its own read timeout (`httpx.ReadTimeout`)
    cut or crash in flight  a request still waiting on its link is reset (`httpx.ReadError`)

The target's FastAPI app handles the request through `httpx.ASGITransport`, in a task of its own
context, so pausing or crashing the target stops its handling too.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from chaosnet.backends.sim.world import World
from chaosnet.errors import BackendError
from chaosnet.specs import LinkFault

Pair = tuple[str, str]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


@dataclass
class Link:
    rng: random.Random
    fault: LinkFault = field(default_factory=LinkFault)
    enabled: bool = True
    carried: int = 0

    def delay(self, size: int) -> float:
        """Seconds before `size` request bytes reach the target."""
        fault = self.fault
        seconds = fault.latency_ms / 1000
        if fault.jitter_ms:
            seconds += self.rng.uniform(-fault.jitter_ms, fault.jitter_ms) / 1000
        return max(0.0, seconds) + self.serialisation(size)

    def serialisation(self, size: int) -> float:
        rate = self.fault.bandwidth_kbps
        return size / (rate * 1000) if rate else 0.0

    def drops(self) -> bool:
        return bool(self.fault.loss) and self.rng.random() < self.fault.loss


class LinkLayer:
    """Every directed link between the nodes of `hosts` (URL host → node name)."""

    def __init__(self, world: World, hosts: dict[str, str], seed: int) -> None:
        self.world = world
        self.hosts = hosts
        names = sorted(hosts.values())
        self.links: dict[Pair, Link] = {
            (a, b): Link(random.Random(f"chaosnet-sim:{seed}:{a}->{b}"))
            for a in names
            for b in names
            if a != b
        }

    def link(self, src: str, dst: str) -> Link:
        try:
            return self.links[(src, dst)]
        except KeyError:
            raise BackendError(f"no link {src}->{dst}") from None

    async def carry(self, src: str, request: httpx.Request) -> httpx.Response:
        """`request` from node `src` across its link to the node it names (see module docstring)."""
        dst = self._target(request)
        link = self.link(src, dst)
        if not link.enabled or dst not in self.world.apps:
            raise httpx.ConnectError(f"{src}->{dst}: connection refused", request=request)
        body = await request.aread()
        if link.drops():
            raise httpx.ReadError(f"{src}->{dst}: connection reset (lossy link)", request=request)
        await asyncio.sleep(link.delay(len(body)))
        if not link.enabled or dst not in self.world.apps:
            raise httpx.ReadError(f"{src}->{dst}: connection reset", request=request)
        timeout = request.extensions.get("timeout", {}).get("read")
        status, headers, content = await self._handle(dst, src, request, body, timeout)
        await asyncio.sleep(link.serialisation(len(content)))
        link.carried += len(body) + len(content)
        return httpx.Response(status, headers=headers, content=content, request=request)

    def answer(self, request: httpx.Request) -> httpx.Response:
        """The runner's own request (no link in between): handled at once, in the world."""
        dst = self._target(request)
        if dst not in self.world.apps:
            raise httpx.ConnectError(f"{dst} is down: connection refused", request=request)
        if self.world.paused(dst):
            raise httpx.ReadTimeout(f"{dst} is paused and does not answer", request=request)
        body = request.read()
        status, headers, content = self.world.run(serve(self.world, dst, request, body), dst)
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def _handle(
        self, dst: str, src: str, request: httpx.Request, body: bytes, timeout: float | None
    ) -> Answer:
        handler = self.world.loop.create_task(
            serve(self.world, dst, request, body, client=src), context=self.world.context(dst)
        )
        done, _ = await asyncio.wait({handler}, timeout=timeout)
        if not done:
            raise httpx.ReadTimeout(f"{src}->{dst}: no answer within {timeout}s", request=request)
        if handler.cancelled() or handler.exception() is not None:
            raise httpx.ReadError(f"{src}->{dst}: connection reset", request=request)
        return handler.result()

    def _target(self, request: httpx.Request) -> str:
        dst = self.hosts.get(request.url.host)
        if dst is None:
            raise httpx.ConnectError(f"no node at {request.url.host}", request=request)
        return dst


async def serve(
    world: World, node: str, request: httpx.Request, body: bytes, client: str = "runner"
) -> Answer:
    """The node's FastAPI app answering `request` as an ASGI server would; runs as the node's
    own work. (A direct ASGI call: `httpx.ASGITransport` costs a second request object.)"""
    url = request.url
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": url.path,
        "raw_path": url.raw_path.split(b"?", 1)[0],
        "root_path": "",
        "query_string": url.query,
        "headers": request.headers.raw,
        "server": (url.host, url.port or 80),
        "client": (client, 0),
    }
    answer = _Answer(body)
    try:
        await world.apps[node].http(scope, answer.receive, answer.send)
    except Exception:
        if answer.started:
            raise
        return 500, [], b'{"error":"internal server error"}'
    return answer.status, answer.headers, b"".join(answer.chunks)


class _Answer:
    """The server's side of one exchange: the body to hand over, the answer being sent."""

    def __init__(self, body: bytes) -> None:
        self.body: bytes | None = body
        self.done = asyncio.Event()
        self.started = False
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []

    async def receive(self) -> dict[str, Any]:
        if self.body is not None:
            body, self.body = self.body, None
            return {"type": "http.request", "body": body, "more_body": False}
        await self.done.wait()  # the client listens until the answer is complete
        return {"type": "http.disconnect"}

    async def send(self, message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = int(message["status"])
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                self.done.set()


class NodeTransport(httpx.AsyncBaseTransport):
    """What one node's HTTP clients send through: its side of every link."""

    def __init__(self, layer: LinkLayer, src: str) -> None:
        self.layer = layer
        self.src = src

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.layer.carry(self.src, request)


class RunnerTransport(httpx.BaseTransport):
    """What the runner's observer, load generator and chain fetcher send through; `layer` is
    asked per request, since the runner holds the transport before the backend is set up."""

    def __init__(self, layer: Callable[[], LinkLayer]) -> None:
        self.layer = layer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.layer().answer(request)
