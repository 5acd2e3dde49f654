"""The seed scenarios on `--backend docker`: real containers, named volumes, a Toxiproxy container.

After every run nothing labelled by chaosnet may be left on the engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import docker
from tests.fakes import journal_of
from tests.runs import only_run_dir, run_ok

LABEL = "chaosnet"


def labelled_leftovers() -> dict[str, int]:
    client = docker.from_env(timeout=30)
    try:
        flt = {"label": LABEL}
        return {
            "containers": len(client.containers.list(all=True, filters=flt)),
            "networks": len(client.networks.list(filters=flt)),
            "volumes": len(client.volumes.list(filters=flt)),
        }
    finally:
        client.close()


@pytest.fixture
def out(tmp_path: Path, images: None) -> Iterator[Path]:
    path = tmp_path / "runs"
    path.mkdir()
    yield path
    assert labelled_leftovers() == {"containers": 0, "networks": 0, "volumes": 0}


@pytest.mark.parametrize("scenario", ["happy-path.yaml", "partition-heal.yaml", "fresh-sync.yaml"])
def test_seed_scenario_passes_on_docker(scenario: str, out: Path) -> None:
    results = run_ok(scenario, out, "--backend", "docker")
    assert results["backend"] == "docker"


def test_a_crashed_container_restarts_with_its_chain_from_the_volume(out: Path) -> None:
    run_ok("crash-restart.yaml", out, "--backend", "docker")
    log = (only_run_dir(out) / "logs" / "n3.log").read_text()
    restored = [int(h) for h in re.findall(r"restored chain at height (\d+)", log)]
    assert restored and max(restored) > 0, "n3 came back without the chain it had on its volume"


def test_twenty_node_containers_reach_a_verdict_and_memory_is_recorded(out: Path) -> None:
    results = run_ok("scale-20.yaml", out, "--backend", "docker")
    memory = results["metrics"]["memory"]
    assert len(memory) == 20
    median = sorted(memory.values())[10]
    print(f"median memory per node container: {median / 2**20:.1f} MiB")
    journal = journal_of(only_run_dir(out))
    starting = next(r["seconds"] for r in journal if r["kind"] == "nodes_up")
    early = [r for r in journal if r["kind"] == "block_seen" and r["seen_t"] < 0]
    assert not early, f"blocks found before time zero, while the containers started: {early}"
    print(f"twenty containers answered after {starting:.1f} s; no block was found before")
