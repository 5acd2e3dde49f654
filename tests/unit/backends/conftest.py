"""A real toxiproxy-server and a tiny HTTP upstream, both on 127.0.0.1, for the client tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from chaosnet.backends.toxiproxy_server import ToxiproxyServer
from chaosnet.faults.toxiproxy import ToxiproxyClient


class _Hello(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"x" * 1000
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def upstream() -> Iterator[str]:
    """`host:port` of an HTTP server answering 1000 bytes to every GET."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture
def toxiproxy(tmp_path: Path) -> Iterator[ToxiproxyServer]:
    server = ToxiproxyServer.start(log_path=tmp_path / "toxiproxy.log")
    yield server
    server.stop()


@pytest.fixture
def client(toxiproxy: ToxiproxyServer) -> Iterator[ToxiproxyClient]:
    with ToxiproxyClient(toxiproxy.api_url) as c:
        yield c
