"""The peer client over real TCP (`http1.TcpCarrier`): what a sending node sees for each way a
peer can answer or fail, against real sockets on 127.0.0.1: the decoded answer whatever the
framing, `PeerRefused` for a 4xx, and `PeerUnreachable` (refused or not) for everything else."""

from __future__ import annotations

import asyncio
import functools
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest

from reference_node.metrics import Metrics
from reference_node.p2p.client import PeerClient, PeerRefused, PeerUnreachable

Reply = Callable[[bytes], Awaitable[bytes | None]]
"""The raw request (head and body) → the raw bytes to answer, or None to hang up silently."""


def in_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


@asynccontextmanager
async def peer(reply: Reply) -> AsyncIterator[str]:
    """A TCP server on a free 127.0.0.1 port answering each connection with `reply`."""
    handlers: set[asyncio.Task[None]] = set()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handlers.add(asyncio.current_task())  # type: ignore[arg-type]
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            ),
            0,
        )
        request = head + await reader.readexactly(length)
        answer = await reply(request)
        if answer is not None:
            writer.write(answer)
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        try:
            yield f"127.0.0.1:{port}"
        finally:
            for task in handlers:
                task.cancel()


def answer(raw: bytes) -> Reply:
    async def reply(request: bytes) -> bytes:
        return raw

    return reply


def client(metrics: Metrics | None = None) -> PeerClient:
    return PeerClient(metrics or Metrics(), "n1", "127.0.0.1:1")


@in_loop
async def test_answer_framed_by_content_length_is_decoded_and_request_names_the_sender() -> None:
    requests: list[bytes] = []

    async def reply(request: bytes) -> bytes:
        requests.append(request)
        return b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 11\r\n\r\n{"ok": [1]}'

    metrics = Metrics()
    async with peer(reply) as dial:
        assert await client(metrics).call(dial, "/p2p/inv", {"blocks": []}) == {"ok": [1]}
    head, _, body = requests[0].partition(b"\r\n\r\n")
    assert head.startswith(b"POST /p2p/inv HTTP/1.1\r\n")
    assert b"x-chaosnet-node: n1" in head and b"content-type: application/json" in head
    assert body == b'{"blocks":[]}'
    assert metrics.bytes_out._value.get() == len(body)
    assert metrics.bytes_in._value.get() == 11


@in_loop
async def test_chunked_and_unframed_answers_are_read_whole() -> None:
    chunked = b'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n{"a"\r\n3\r\n: 2\r\n1\r\n}\r\n0\r\n\r\n'
    async with peer(answer(chunked)) as dial:
        assert await client().call(dial, "/p2p/addr") == {"a": 2}
    unframed = b'HTTP/1.0 200 OK\r\n\r\n{"b": 3}'
    async with peer(answer(unframed)) as dial:
        assert await client().call(dial, "/p2p/addr") == {"b": 3}


@in_loop
async def test_4xx_is_a_refusal_with_the_peers_reason() -> None:
    body = b'{"error": "banned"}'
    raw = b"HTTP/1.1 403 Forbidden\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body)
    async with peer(answer(raw)) as dial:
        with pytest.raises(PeerRefused) as refused:
            await client().call(dial, "/p2p/tx", {"txs": []})
    assert refused.value.status == 403 and "banned" in str(refused.value)


@in_loop
async def test_a_closed_port_is_unreachable_and_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: the kernel refuses connections
        with pytest.raises(PeerUnreachable) as failed:
            await client().call(f"127.0.0.1:{port}", "/p2p/addr")
    assert failed.value.refused


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\ncontent-length: 50\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\n\r\nnot json",
    ],
    ids=["hang-up", "not-http", "truncated", "not-json"],
)
@in_loop
async def test_a_broken_answer_is_unreachable_not_refused(raw: bytes | None) -> None:
    async with peer(answer(raw) if raw is not None else _silent) as dial:
        with pytest.raises(PeerUnreachable) as failed:
            await client().call(dial, "/p2p/addr")
    assert not failed.value.refused


async def _silent(request: bytes) -> None:
    return None


@in_loop
async def test_a_peer_that_never_answers_times_out_within_the_callers_timeout() -> None:
    async def stall(request: bytes) -> bytes:
        await asyncio.sleep(30)
        return b""

    async with peer(stall) as dial:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(PeerUnreachable) as failed:
            await client().call(dial, "/p2p/addr", timeout=0.3)
        took = loop.time() - started
    assert not failed.value.refused
    assert took < 3.0


@in_loop
async def test_a_slow_answer_that_keeps_coming_is_read_past_the_timeout() -> None:
    """The timeout bounds each wait, not the whole answer: a throttled link still delivers."""

    body = b'{"slow": true}'
    head = b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(head)
        for start in range(0, len(body), 4):
            await asyncio.sleep(0.1)
            writer.write(body[start : start + 4])
            await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with server:
        dial = f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
        loop = asyncio.get_running_loop()
        started = loop.time()
        assert await client().call(dial, "/p2p/addr", timeout=0.3) == {"slow": True}
        assert loop.time() - started > 0.3, "the answer took longer than one timeout in all"


@in_loop
async def test_an_address_that_is_no_host_and_port_is_unreachable() -> None:
    with pytest.raises(PeerUnreachable):
        await client().call("no-port-here", "/p2p/addr")
