"""Three real nodes in containers: a chain forms via Toxiproxy, a partition cuts it, the volume
keeps it across kill + restart."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from chaosnet.backends.docker import DockerBackend
from chaosnet.specs import ChainSpec, NodeSpec
from tests.http_client import HTTP
from tests.runs import start_mining

CHAIN = ChainSpec(difficulty=8, block_interval=0.5, seed=5)
NODES = [
    NodeSpec("n1", ("n2", "n3"), mine=True, hashrate=0.5),
    NodeSpec("n2", ("n1", "n3"), mine=True, hashrate=0.5),
    NodeSpec("n3", ("n1", "n2")),
]


def _height(backend: DockerBackend, name: str) -> int:
    return int(HTTP.get(backend.endpoint(name).url + "/status", timeout=5).json()["height"])


def _wait(what: str, check: Callable[[], bool], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_real_nodes_partition_and_restart_from_the_volume(images: None, tmp_path: Path) -> None:
    backend = DockerBackend(build_images=False)
    try:
        backend.setup(tmp_path / "run-real", CHAIN, NODES)
        backend.start_nodes(["n1", "n2", "n3"])
        start_mining(backend, "n1", "n2")
        _wait(
            "height 3 everywhere", lambda: all(_height(backend, n) >= 3 for n in ("n1", "n2", "n3"))
        )

        for other in ("n1", "n2"):
            backend.set_link_enabled("n3", other, False)
            backend.set_link_enabled(other, "n3", False)
        cut_at = _height(backend, "n3")
        _wait("the majority growing", lambda: _height(backend, "n1") >= cut_at + 4)
        assert _height(backend, "n3") <= cut_at + 1  # a block in flight at the cut may land
        for other in ("n1", "n2"):
            backend.set_link_enabled("n3", other, True)
            backend.set_link_enabled(other, "n3", True)
        _wait("n3 healed", lambda: _height(backend, "n3") >= cut_at + 4)

        before = _height(backend, "n2")
        backend.kill_node("n2")
        backend.start_node("n2")
        start_mining(backend, "n2")
        assert _height(backend, "n2") >= before - 1  # the chain came back from the volume
        stats = backend.stats("n1")
        assert stats.rss_bytes is not None
        print(f"memory per real node container: {stats.rss_bytes / 2**20:.1f} MiB")
    finally:
        backend.teardown()
