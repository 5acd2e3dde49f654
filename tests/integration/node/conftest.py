"""Real node processes on free 127.0.0.1 ports, real SQLite, real HTTP; always killed at teardown.

`spawn(name, *flags)` starts `.venv/bin/chaosnet-node`; `build_chain(dir, n)` writes an n-block chain
straight into a data directory through the core and the store (deterministic: the same n gives the
same blocks, so two directories share a prefix), which is how tests get long chains in seconds.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reference_node.core.chain import ChainState
from reference_node.core.keys import account_address, account_key
from reference_node.core.mining import build_block, solve
from reference_node.core.params import GENESIS_TIMESTAMP, ChainParams
from reference_node.core.tx import make_transfer
from reference_node.store import Store
from tests.http_client import HTTP

NODE_BIN = Path(sys.executable).parent / "chaosnet-node"
DIFFICULTY = 8
ACCOUNTS = 8
CHAIN_FLAGS = ("--difficulty", str(DIFFICULTY), "--genesis-accounts", str(ACCOUNTS))
BUILDER_MINER = "cc" * 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(
    predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.2
) -> Any:
    """Poll `predicate` until it returns something truthy; fail naming `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            result = predicate()
        except httpx.HTTPError as exc:
            last_error, result = exc, None
        if result:
            return result
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what} (last error: {last_error})")


class NodeProcess:
    def __init__(self, name: str, data_dir: Path, log_dir: Path, flags: tuple[str, ...]) -> None:
        self.name = name
        self.data_dir = data_dir
        self.port = free_port()
        self.flags = flags
        self.log_path = log_dir / f"{name}.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = f"127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> NodeProcess:
        cmd = [
            str(NODE_BIN), "--port", str(self.port), "--node-id", self.name,
            "--data-dir", str(self.data_dir), *CHAIN_FLAGS, *self.flags,
        ]  # fmt: skip
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=log, env={**os.environ})
        log.close()
        wait_until(self._healthy, 20, f"{self.name} to answer /health")
        return self

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            pytest.fail(f"{self.name} exited with {self.proc.returncode}: {self.log_tail()}")
        return HTTP.get(self.url + "/health", timeout=1).status_code == 200

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return HTTP.get(self.url + path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return HTTP.post(self.url + path, **kwargs)

    def status(self) -> dict[str, Any]:
        return self.get("/status").json()

    def height(self) -> int:
        return int(self.status()["height"])

    def kill(self) -> None:
        """SIGKILL: what a crash looks like."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=15)


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., NodeProcess]]:
    started: list[NodeProcess] = []

    def _spawn(name: str, *flags: str, data_dir: Path | None = None) -> NodeProcess:
        node = NodeProcess(name, data_dir or tmp_path / name, tmp_path, flags)
        started.append(node)
        return node.start()

    yield _spawn
    for node in started:
        node.kill()


def write_chain(data_dir: Path, count: int, tx_at: int | None = None) -> list[str]:
    """Mine `count` blocks into `data_dir`; with `tx_at`, that block carries one transfer."""
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / "chain.sqlite3")
    chain = ChainState(ChainParams(DIFFICULTY, ACCOUNTS), store)
    store.load(chain)
    hashes = []
    for i in range(1, count + 1):
        txs = [make_transfer(account_key(0), account_address(1), 7, 3, 0)] if i == tx_at else []
        now = GENESIS_TIMESTAMP + 1000 * i
        block = solve(build_block(chain, chain.tip, txs, BUILDER_MINER, now))
        store.apply(chain.add_block(block, now), chain)
        hashes.append(block.hash)
    store.close()
    return hashes


@pytest.fixture(scope="session")
def long_chain(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A 2100-block chain directory, built once; copy it before starting a node on it."""
    path = tmp_path_factory.mktemp("long-chain")
    return path, write_chain(path, 2100, tx_at=5)


@pytest.fixture
def chain_copy(tmp_path: Path, long_chain: tuple[Path, list[str]]) -> Callable[[str], Path]:
    def _copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(long_chain[0], target)
        return target

    return _copy


@pytest.fixture
def wait() -> Callable[..., Any]:
    """`wait(predicate, timeout, what)`: the bounded polling loop every test uses."""
    return wait_until


@pytest.fixture
def chain_writer() -> Callable[..., list[str]]:
    return write_chain
