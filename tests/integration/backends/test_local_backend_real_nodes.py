"""LocalBackend with three real `chaosnet-node` processes: a chain forms through the proxies."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from chaosnet import tools
from chaosnet.backends.local import LocalBackend
from chaosnet.specs import ChainSpec, NodeSpec
from tests.http_client import HTTP
from tests.runs import SCENARIOS, start_mining, wait_for_phase


def real_node_available() -> bool:
    try:
        result = subprocess.run(
            [*tools.node_command(), "--help"], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0


pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not real_node_available(), reason="chaosnet-node does not run yet"),
]
CHAIN = ChainSpec(difficulty=8, block_interval=0.5, seed=11)
NODES = [
    NodeSpec("n1", ("n2", "n3"), mine=True, hashrate=1.0),
    NodeSpec("n2", ("n1", "n3")),
    NodeSpec("n3", ("n1", "n2")),
]


def _height(backend: LocalBackend, name: str) -> int:
    return int(HTTP.get(backend.endpoint(name).url + "/status", timeout=5).json()["height"])


def _wait(what: str, check: Callable[[], bool], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def test_three_real_nodes_sync_survive_kill_restart_and_leave_nothing(tmp_path: Path) -> None:
    backend = LocalBackend()
    try:
        backend.setup(tmp_path, CHAIN, NODES)
        backend.start_nodes(["n1", "n2", "n3"])
        start_mining(backend, "n1")
        _wait(
            "every node at height 3",
            lambda: all(_height(backend, n) >= 3 for n in ["n1", "n2", "n3"]),
        )
        assert backend.link_bytes()[("n1", "n2")] + backend.link_bytes()[("n2", "n1")] > 0

        backend.kill_node("n2")
        backend.start_node("n2")
        before = _height(backend, "n1")
        assert _height(backend, "n2") >= 3  # the chain came back from its data dir
        _wait("n2 catching up", lambda: _height(backend, "n2") >= before)

        backend.pause_node("n3")
        backend.resume_node("n3")
        _wait("n3 catching up", lambda: _height(backend, "n3") >= before)
        pids = [p.process.pid for p in backend._nodes.values() if p.process]
    finally:
        backend.teardown()
    assert not any(psutil.pid_exists(p) for p in pids)


def test_a_sigkilled_chaosnet_run_takes_its_nodes_and_toxiproxy_with_it(tmp_path: Path) -> None:
    """The measured failure: `kill -9` of `chaosnet run … --out elsewhere` left 5 processes."""
    out = tmp_path / "elsewhere"
    out.mkdir()
    scenario = [str(SCENARIOS / "happy-path.yaml"), "--out", str(out)]
    runner = subprocess.Popen(
        [sys.executable, "-c", "from chaosnet.cli import main; main()", "run", *scenario],
        cwd=out,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        run_dir = wait_for_phase(out, "timeline", timeout=90)
        pids = [p["pid"] for p in json.loads((run_dir / "pids.json").read_text())["processes"]]
        assert len(pids) >= 5  # the happy path's nodes and toxiproxy-server
    finally:
        runner.kill()
        runner.wait(10)
    deadline = time.monotonic() + 5
    alive = pids
    while alive and time.monotonic() < deadline:
        alive = [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
        time.sleep(0.05)
    assert alive == []
