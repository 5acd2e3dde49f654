"""DockerBackend with real containers: isolation, partitions, restarts, cleanup by label."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import docker
from chaosnet.backends.docker import DockerBackend, remove_labelled
from chaosnet.cli import app
from chaosnet.specs import ChainSpec, LinkFault, NodeSpec
from tests.http_client import HTTP

RING = [NodeSpec("n1", ("n2", "n3")), NodeSpec("n2", ("n1", "n3")), NodeSpec("n3", ("n1", "n2"))]


@pytest.fixture
def backend(stand_in_image: str, tmp_path: Path) -> Iterator[DockerBackend]:
    b = DockerBackend(node_image=stand_in_image, build_images=False)
    try:
        b.setup(tmp_path / "run-docker-test", ChainSpec(), RING)
        yield b
    finally:
        b.teardown()


def _labelled(run_id: str) -> list[str]:
    client = docker.from_env()
    label = {"label": f"chaosnet.run={run_id}"}
    found = [c.name for c in client.containers.list(all=True, filters=label)]
    found += [n.name for n in client.networks.list(filters=label)]
    found += [v.name for v in client.volumes.list(filters=label)]
    client.close()
    return found


def _reach(backend: DockerBackend, name: str) -> dict[str, bool]:
    result = HTTP.get(backend.endpoint(name).url + "/reach", timeout=10).json()
    assert isinstance(result, dict)
    return result


def _exec(backend: DockerBackend, name: str, code: str) -> str:
    container = backend._node(name).container
    result = container.exec_run(["python3", "-c", code])
    return bytes(result.output).decode().strip()


def test_nodes_reach_each_other_only_through_toxiproxy(backend: DockerBackend) -> None:
    backend.start_nodes(["n1", "n2", "n3"])
    assert list(_reach(backend, "n1").values()) == [True, True]
    probe = (
        "import socket\n"
        "for target in [('n2', 8000), ('n3', 8000), ('1.1.1.1', 53)]:\n"
        "    try:\n"
        "        socket.create_connection(target, timeout=2).close(); print('open')\n"
        "    except OSError as exc:\n"
        "        print('blocked', type(exc).__name__)\n"
    )
    lines = _exec(backend, "n1", probe).splitlines()
    assert len(lines) == 3 and all(line.startswith("blocked") for line in lines), lines


def test_no_message_waits_on_dockers_dns(backend: DockerBackend) -> None:
    """Nodes find Toxiproxy in /etc/hosts and Toxiproxy dials nodes by address: peers open a
    connection per message, and Docker's DNS answers from inside dockerd, on the same cores."""
    backend.start_nodes(["n1"])
    hosts = _exec(backend, "n1", "print(open('/etc/hosts').read())").splitlines()
    assert any(line.split()[1:] == ["toxiproxy"] for line in hosts if line.strip()), hosts
    assert backend._links is not None
    upstreams = [proxy.upstream for proxy in backend._links.client.proxies().values()]
    hosts_dialled = {upstream.rpartition(":")[0] for upstream in upstreams}
    assert upstreams and all(h.replace(".", "").isdigit() for h in hosts_dialled), upstreams


def test_partition_via_toxiproxy_cuts_links(backend: DockerBackend) -> None:
    backend.start_nodes(["n1", "n2", "n3"])
    for other in ("n2", "n3"):
        backend.set_link_enabled("n1", other, False)
        backend.set_link_enabled(other, "n1", False)
    assert list(_reach(backend, "n1").values()) == [False, False]
    assert list(_reach(backend, "n2").values()) == [False, True]  # n2->n1 cut, n2->n3 up
    for other in ("n2", "n3"):
        backend.set_link_enabled("n1", other, True)
        backend.set_link_enabled(other, "n1", True)
    assert list(_reach(backend, "n1").values()) == [True, True]
    backend.set_link("n2", "n3", LinkFault(latency_ms=400))
    start = time.monotonic()
    _reach(backend, "n2")
    assert time.monotonic() - start >= 0.4
    assert backend.link_bytes()[("n1", "n2")] > 0


def test_kill_restart_keeps_the_volume_pause_and_cpu(backend: DockerBackend) -> None:
    backend.start_nodes(["n1", "n2", "n3"])
    url = backend.endpoint("n2").url
    backend.kill_node("n2")
    assert not backend.is_running("n2")
    assert backend.stats("n2").rss_bytes is None  # a dead node reports no memory
    backend.start_node("n2")
    assert HTTP.get(url + "/status", timeout=5).json()["starts"] == 2
    backend.pause_node("n2")
    with pytest.raises(httpx.TimeoutException):
        HTTP.get(url + "/health", timeout=1)
    backend.resume_node("n2")
    assert HTTP.get(url + "/health", timeout=5).status_code == 200
    container = backend._node("n2").container
    backend.set_cpu("n2", 0.2)
    container.reload()
    assert container.attrs["HostConfig"]["CpuQuota"] == 20_000
    assert container.attrs["HostConfig"]["CpuPeriod"] == 100_000
    backend.set_cpu("n2", None)
    container.reload()
    assert container.attrs["HostConfig"]["CpuQuota"] in (0, -1)  # no quota
    stats = backend.stats("n2")
    assert stats.rss_bytes is not None and stats.rss_bytes > 1_000_000
    print(f"memory per stand-in node container: {stats.rss_bytes / 2**20:.1f} MiB")


def test_each_node_weighs_one_process_in_the_cpu_scheduler(backend: DockerBackend) -> None:
    """Under the cgroupfs driver a node's cgroup hangs from the root, beside local processes,
    not with every other container under /docker (where they all share one process's weight)."""
    backend.start_nodes(["n1"])
    client = docker.from_env()
    driver = client.info()["CgroupDriver"]
    client.close()
    container = backend._node("n1").container
    container.reload()
    cgroups = _exec(backend, "n1", "print(open('/proc/self/cgroup').read())").splitlines()
    cpu = [line.split(":", 2)[2] for line in cgroups if "cpu" in line.split(":")[1].split(",")]
    if driver == "cgroupfs":
        assert container.attrs["HostConfig"]["CgroupParent"] == "/"
        assert all(not path.startswith("/docker/") for path in cpu), cgroups
    else:
        assert container.attrs["HostConfig"]["CgroupParent"] == ""


def test_teardown_removes_every_labelled_object(stand_in_image: str, tmp_path: Path) -> None:
    run_dir = tmp_path / "run-teardown"
    backend = DockerBackend(node_image=stand_in_image, build_images=False)
    try:
        backend.setup(run_dir, ChainSpec(), RING)
        backend.start_nodes(["n1"])
        assert (
            len(_labelled("run-teardown")) == 4 + 4 + 3
        )  # containers (3 nodes, toxiproxy), networks, volumes
    finally:
        backend.teardown()
        backend.teardown()
    assert _labelled("run-teardown") == []
    assert (run_dir / "nodes" / "n1" / "node.log").exists()
    assert remove_labelled("run-teardown") == []


def test_a_killed_runner_leaves_containers_that_down_all_removes(
    stand_in_image: str, tmp_path: Path
) -> None:
    """Containers do not die with chaosnet (only local processes do); `down --all` removes them."""
    script = (
        "import sys; from pathlib import Path\n"
        "from chaosnet.backends.docker import DockerBackend\n"
        "from chaosnet.specs import ChainSpec, NodeSpec\n"
        f"b = DockerBackend(node_image={stand_in_image!r}, build_images=False)\n"
        "b.setup(Path(sys.argv[1]), ChainSpec(), [NodeSpec('n1', ())])\n"
        "b.start_nodes(['n1'])\n"
        "print('up', flush=True)\n"
        "import time; time.sleep(120)\n"
    )
    runner = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path / "run-killed")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert runner.stdout is not None and runner.stdout.readline().strip() == "up"
    finally:
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(10)
    assert len(_labelled("run-killed")) == 2 + 2 + 1  # node and toxiproxy, networks, volume
    result = CliRunner().invoke(app, ["down", "--all", "--runs-dir", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    assert _labelled("run-killed") == []
