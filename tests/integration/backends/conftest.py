"""Fixtures for LocalBackend tests: a backend on stand-in nodes that is always torn down."""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from chaosnet.backends.local import LocalBackend


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The run registry of these tests only: `down --all` here must never see anyone else's runs."""
    state = tmp_path / "state"
    monkeypatch.setenv("CHAOSNET_STATE_DIR", str(state))
    return state


@pytest.fixture
def stand_in_backend() -> Iterator[LocalBackend]:
    backend = LocalBackend(
        node_command=[sys.executable, str(Path(__file__).with_name("stand_in_node.py"))],
        start_timeout=20,
    )
    yield backend
    backend.teardown()


def swallows_disable(method: str, path: str, body: object) -> bool:
    return method == "POST" and body == {"enabled": False}


@pytest.fixture
def lying_toxiproxy() -> Iterator[Callable[..., str]]:
    """`lie(api_url, swallow=swallows_disable)`: the URL of a real HTTP server on 127.0.0.1 in
    front of that Toxiproxy, forwarding every call except those `swallow` picks, which it answers
    200 (echoing the request) without passing them on."""
    servers: list[ThreadingHTTPServer] = []

    def lie(api_url: str, swallow: Callable[[str, str, object], bool] = swallows_disable) -> str:
        real = httpx.Client(base_url=api_url, timeout=5)

        class Liar(BaseHTTPRequestHandler):
            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if swallow(self.command, self.path, json.loads(body) if body else None):
                    status, data = 200, body or b"{}"
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
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield lie
    for server in servers:
        server.shutdown()
        server.server_close()
