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

The target handles the request in its own context, so pausing or crashing the target stops its
handling too. Handling starts inline at the instant of delivery, and only a handler that waits goes
on as a task of the target (`_start`). A peer-protocol message goes through the node's direct door
to its `/p2p` handlers (`PeerProtocol.answer`), anything else through its FastAPI app called as
ASGI. A node's `PeerClient` and its persona's wire hand their messages over as bytes
(`NodeTransport.exchange`); the runner and the tests send httpx requests.

A host may be a door rather than a node (`open_door`): a persona's identity, answered by its
`Responder` in the context of the node that opened it, across that node's links.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import random
from collections.abc import (
    Callable,
    Coroutine,
    Generator,
    Mapping,
    MutableMapping,
    Sequence,
)
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from starlette.types import ASGIApp

from chaosnet.backends.sim.world import World
from chaosnet.errors import BackendError
from chaosnet.specs import LinkFault
from reference_node.app import NodeApp

Pair = tuple[str, str]
Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


@dataclass
class Link:
    seed: str
    fault: LinkFault = field(default_factory=LinkFault)
    enabled: bool = True
    carried: int = 0

    @functools.cached_property
    def rng(self) -> random.Random:
        """Made at the first draw: most links of a large world are given settings but never
        dialled, and a generator costs 2.5 kB and a hash of its seed."""
        return random.Random(self.seed)

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
        self.doors: dict[str, Responder] = {}
        self.seed = seed
        self.nodes = frozenset(hosts.values())
        self.links: dict[Pair, Link] = {}  # made on first use (`link`)

    def open_door(self, host: str, node: str, door: Responder) -> None:
        """Answer requests to `host` with `door`, as `node`'s work across `node`'s links."""
        self.hosts[host] = node
        self.doors[host] = door

    def close_door(self, host: str) -> None:
        """`host` refuses connections from now on."""
        self.hosts.pop(host, None)
        self.doors.pop(host, None)

    def link(self, src: str, dst: str) -> Link:
        """The directed link `src`->`dst`, made on first use. Its generator is seeded by the pair
        alone, so when it is made changes nothing it draws; making all n(n-1) up front cost 0.7 s
        and 120 MB at 200 nodes, for the few each node ever dials."""
        link = self.links.get((src, dst))
        if link is None:
            if src == dst or src not in self.nodes or dst not in self.nodes:
                raise BackendError(f"no link {src}->{dst}")
            link = self.links[(src, dst)] = Link(f"chaosnet-sim:{self.seed}:{src}->{dst}")
        return link

    async def carry(self, src: str, request: httpx.Request) -> httpx.Response:
        """`request` from node `src` across its link to the node it names (see module docstring)."""
        body = await request.aread()
        message = Message(request.method, request.url.raw_path, request.headers.raw, body)
        timeout = request.extensions.get("timeout", {}).get("read")
        status, headers, content = await self._cross(
            src, request.url.host, message, timeout, request
        )
        return httpx.Response(status, headers=headers, content=content, request=request)

    async def exchange(
        self, src: str, dial: str, message: Message, timeout: float
    ) -> tuple[int, bytes]:
        """The same crossing for a message given as bytes (`PeerClient`'s direct path)."""
        status, _, content = await self._cross(src, dial.rsplit(":", 1)[0], message, timeout, None)
        return status, content

    def answer(self, request: httpx.Request) -> httpx.Response:
        """The runner's own request (no link in between): handled at once, in the world."""
        message = Message(request.method, request.url.raw_path, request.headers.raw, request.read())
        status, headers, content = self.answer_now(request.url.host, message, request)
        return httpx.Response(status, headers=headers, content=content, request=request)

    def answer_now(self, host: str, message: Message, request: httpx.Request | None) -> Answer:
        dst = self._target(host, request)
        if dst not in self.world.apps:
            raise httpx.ConnectError(f"{dst} is down: connection refused", request=request)
        if self.world.paused(dst):
            raise httpx.ReadTimeout(f"{dst} is paused and does not answer", request=request)
        polled = polled_read(self.world.apps[dst], message)
        if polled is not None:  # nothing in it awaits: answered at this instant, no task
            return polled
        return self.world.run(serve(self.world, dst, message), dst)

    async def _cross(
        self,
        src: str,
        host: str,
        message: Message,
        timeout: float | None,
        request: httpx.Request | None,
    ) -> Answer:
        """`message` to `host` (a node, or a door of one) across the link from `src`."""
        dst, door = self._target(host, request), self.doors.get(host)
        if dst == src:  # its own address (a persona's identity): the loopback, no link
            return await self._handle(dst, src, message, timeout, request, door)
        link = self.link(src, dst)
        if not link.enabled or dst not in self.world.apps:
            raise httpx.ConnectError(f"{src}->{dst}: connection refused", request=request)
        size = len(message.body)
        if link.drops():
            raise httpx.ReadError(f"{src}->{dst}: connection reset (lossy link)", request=request)
        await asyncio.sleep(link.delay(size))
        if not link.enabled or dst not in self.world.apps:
            raise httpx.ReadError(f"{src}->{dst}: connection reset", request=request)
        status, headers, content = await self._handle(dst, src, message, timeout, request, door)
        answer_delay = link.serialisation(len(content))
        if answer_delay:
            await asyncio.sleep(answer_delay)
        link.carried += size + len(content)
        return status, headers, content

    async def _handle(
        self,
        dst: str,
        src: str,
        message: Message,
        timeout: float | None,
        request: httpx.Request | None,
        door: Responder | None,
    ) -> Answer:
        work = serve(self.world, dst, message, client=src) if door is None else door(message)
        context = self.world.context(dst)
        if self.world.paused(dst):  # parked with the node's other work until it resumes
            handler = self.world.loop.create_task(work, context=context)
        else:
            try:
                handler = _start(work, context)
            except StopIteration as done:
                return cast(Answer, done.value)
            except Exception as exc:
                raise httpx.ReadError(f"{src}->{dst}: connection reset", request=request) from exc
        await _done_or_timeout(handler, timeout)
        if not handler.done():
            raise httpx.ReadTimeout(f"{src}->{dst}: no answer within {timeout}s", request=request)
        if handler.cancelled() or handler.exception() is not None:
            raise httpx.ReadError(f"{src}->{dst}: connection reset", request=request)
        return handler.result()

    def _target(self, host: str, request: httpx.Request | None) -> str:
        dst = self.hosts.get(host)
        if dst is None:
            raise httpx.ConnectError(f"no node at {host}", request=request)
        return dst


async def _done_or_timeout(task: asyncio.Task[Answer], timeout: float | None) -> None:
    """Wait until `task` is done or `timeout` seconds pass, leaving it running either way: what
    `asyncio.wait({task}, timeout)` does, without its sets and copies (this runs per message)."""
    loop = task.get_loop()
    woken = loop.create_future()

    def wake(_: object = None) -> None:
        if not woken.done():
            woken.set_result(None)

    task.add_done_callback(wake)
    timer = loop.call_later(timeout, wake) if timeout is not None else None
    try:
        await woken
    finally:
        task.remove_done_callback(wake)
        if timer is not None:
            timer.cancel()


def _start(work: Coroutine[Any, Any, Answer], context: contextvars.Context) -> asyncio.Task[Answer]:
    """Run `work` in `context` up to its first wait, now: most handlers never wait, and their
    answer comes back as `StopIteration` without a task, a future or a timer (three quarters of
    the scheduling a message costs). Work that does wait goes on as a task from where it is.
    Its first step runs inside the caller's task, so a handler must not look at
    `asyncio.current_task()` (or use `asyncio.timeout`) before it first waits."""
    waiting_on = context.run(work.send, None)
    return asyncio.get_running_loop().create_task(_Resumed(work, waiting_on).run(), context=context)


class _Resumed:
    """A coroutine already stepped once, awaited from the point it reached: the first thing
    its task waits on is what the coroutine yielded then."""

    def __init__(self, work: Coroutine[Any, Any, Answer], waiting_on: Any) -> None:
        self.work = work
        self.waiting_on = waiting_on

    async def run(self) -> Answer:
        return await self

    def __await__(self) -> Generator[Any, Any, Answer]:
        waiting_on = self.waiting_on
        while True:
            try:
                sent = yield waiting_on
                step = functools.partial(self.work.send, sent)
            except BaseException as exc:  # cancelled or thrown into: passed on to the work
                step = functools.partial(self.work.throw, exc)
            try:
                waiting_on = step()
            except StopIteration as done:
                return cast(Answer, done.value)


@dataclass(frozen=True)
class Message:
    """One request as it crosses a link: `target` is the path with its query string."""

    method: str
    target: bytes
    headers: Sequence[tuple[bytes, bytes]]
    body: bytes

    def header(self, name: bytes) -> str | None:
        for key, value in self.headers:
            if key.lower() == name:
                return value.decode("latin-1")
        return None


JSON_HEADERS = [(b"content-type", b"application/json")]

Responder = Callable[[Message], Coroutine[Any, Any, Answer]]
"""What answers a host that is not a node (`LinkLayer.open_door`)."""


async def serve(world: World, node: str, message: Message, client: str = "runner") -> Answer:
    """The node answering `message`, as its own work: a peer-protocol route, a polled read or a
    runner's control call through the node's direct doors (`PeerProtocol.answer`,
    `PolledReads.answer`, `RunnerControls.answer`: the same handlers without the HTTP server),
    anything else through its FastAPI app as ASGI."""
    app = world.apps[node]
    path = message.target.partition(b"?")[0].decode("latin-1")
    if app.p2p.serves(message.method, path):
        caller = message.header(b"x-chaosnet-node")
        status, content = await app.p2p.answer(message.method, path, caller, message.body)
        return status, JSON_HEADERS, content
    return (
        polled_read(app, message)
        or app.controls.answer(message.method, path, message.body)
        or await serve_asgi(app.http, message, client)
    )


def polled_read(app: NodeApp, message: Message) -> Answer | None:
    """`/status`, `/events` or `/metrics` through the node's direct door (`PolledReads`), or
    None for anything else."""
    if message.method != "GET" or message.body:
        return None
    target, _, query = message.target.partition(b"?")
    return app.reads.answer(target.decode("latin-1"), query)


async def serve_asgi(app: ASGIApp, message: Message, client: str) -> Answer:
    """A direct ASGI call (`httpx.ASGITransport` would cost a second request object)."""
    path, _, query = message.target.partition(b"?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": message.method,
        "scheme": "http",
        "path": path.decode("latin-1"),
        "raw_path": path,
        "root_path": "",
        "query_string": query,
        "headers": [(key.lower(), value) for key, value in message.headers],
        "server": ("sim", 80),
        "client": (client, 0),
    }
    answer = _Answer(message.body)
    try:
        await app(scope, answer.receive, answer.send)
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

    async def exchange(
        self,
        dial: str,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: bytes | None,
        timeout: float,
    ) -> tuple[int, bytes]:
        """The node's direct path (a `Carrier`, for its peer client and its persona's
        wire): no httpx objects on either side."""
        raw = [(key.encode("latin-1"), value.encode("latin-1")) for key, value in headers.items()]
        message = Message(method, path.encode("latin-1"), raw, body or b"")
        return await self.layer.exchange(self.src, dial, message, timeout)


class RunnerTransport(httpx.BaseTransport):
    """What the runner's observer, load generator and chain fetcher send through; `layer` is
    asked per request, since the runner holds the transport before the backend is set up."""

    def __init__(self, layer: Callable[[], LinkLayer]) -> None:
        self.layer = layer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.layer().answer(request)

    def read(self, url: str) -> tuple[int, bytes]:
        """`GET url` without httpx objects (the observer's polls); the same errors as a request."""
        return self._direct("GET", url, b"")

    def post(self, url: str, body: bytes) -> tuple[int, bytes]:
        """`POST url` of a JSON body without httpx objects (the load generator's batches)."""
        return self._direct("POST", url, body)

    def _direct(self, method: str, url: str, body: bytes) -> tuple[int, bytes]:
        parts = urlsplit(url)
        target = f"{parts.path}?{parts.query}" if parts.query else parts.path
        headers = [(b"content-type", b"application/json")] if body else []
        message = Message(method, target.encode("latin-1"), headers, body)
        status, _, content = self.layer().answer_now(parts.hostname or "", message, None)
        return status, content
