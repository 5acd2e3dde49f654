"""One node process shared by the fuzz tests of a module; killed at teardown."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.http_client import HTTP

NODE_BIN = Path(sys.executable).parent / "chaosnet-node"


@pytest.fixture(scope="module")
def node_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path_factory.mktemp("fuzz-node")
    log = (data / "node.log").open("wb")
    proc = subprocess.Popen(
        [str(NODE_BIN), "--port", str(port), "--data-dir", str(data / "db"), "--difficulty", "4",
         "--genesis-accounts", "4", "--mine", "--block-interval", "1"],
        stdout=log, stderr=log,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if HTTP.get(url + "/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("fuzz node did not start")
        yield url
    finally:
        proc.kill()
        proc.wait(timeout=10)
        log.close()
        assert "Traceback" not in (data / "node.log").read_text(), "the node logged a crash"
