"""LocalBackend with real processes and a real toxiproxy-server (stand-in nodes: fast, no chain)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import psutil
import pytest
from typer.testing import CliRunner

from chaosnet.backends import registry
from chaosnet.backends.local import LocalBackend
from chaosnet.cli import app
from chaosnet.errors import BackendError, HarnessFault
from chaosnet.faults.toxiproxy import ToxiproxyClient
from chaosnet.specs import ChainSpec, LinkFault, NodeSpec
from tests.http_client import HTTP

RING = [
    NodeSpec("n1", ("n2", "n3"), mine=True, hashrate=0.5),
    NodeSpec("n2", ("n1", "n3"), persona="selfish", persona_args=(("lead", "2"),)),
    NodeSpec("n3", ("n1", "n2"), prune=10),
]
STAND_IN = [sys.executable, str(Path(__file__).with_name("stand_in_node.py"))]
PAIR = [NodeSpec("n1", ("n2",)), NodeSpec("n2", ("n1",))]


def _get(backend: LocalBackend, name: str, path: str, timeout: float = 3) -> object:
    return HTTP.get(backend.endpoint(name).url + path, timeout=timeout).json()


def _reach(backend: LocalBackend, name: str) -> dict[str, bool]:
    result = _get(backend, name, "/reach")
    assert isinstance(result, dict)
    return result


def _proxy_of(backend: LocalBackend, src: str, dst: str) -> str:
    dial_map = json.loads((backend._need_run_dir() / "nodes" / src / "dial-map.json").read_text())
    return str(dial_map[backend.endpoint(dst).extra["address"]])


def _pids(run_dir: Path) -> list[int]:
    return [p["pid"] for p in json.loads((run_dir / "pids.json").read_text())["processes"]]


def test_nodes_start_with_the_contract_flags_and_reach_peers_only_via_proxies(
    stand_in_backend: LocalBackend, tmp_path: Path
) -> None:
    backend = stand_in_backend
    backend.setup(tmp_path, ChainSpec(difficulty=8, seed=7), RING)
    backend.start_nodes(backend.node_names())
    status = _get(backend, "n1", "/status")
    assert isinstance(status, dict) and status["node_id"] == "n1"
    argv = status["argv"]
    assert f"--data-dir={tmp_path / 'nodes' / 'n1' / 'data'}" in argv
    assert "--mine" in argv and "--hashrate=0.5" in argv and "--seed=7" in argv
    peers = next(a for a in argv if a.startswith("--peers=")).removeprefix("--peers=")
    assert peers.split(",") == [_proxy_of(backend, "n1", "n2"), _proxy_of(backend, "n1", "n3")]
    node_ports = {backend.endpoint(n).extra["address"] for n in backend.node_names()}
    assert not set(peers.split(",")) & node_ports  # never a node's own port
    n2_argv = _get(backend, "n2", "/status")["argv"]  # type: ignore[index]
    assert "--persona=selfish" in n2_argv and "--persona-arg=lead=2" in n2_argv
    assert _reach(backend, "n1") == dict.fromkeys(peers.split(","), True)


def test_partition_cuts_one_direction_and_heal_restores(
    stand_in_backend: LocalBackend, tmp_path: Path
) -> None:
    backend = stand_in_backend
    backend.setup(tmp_path, ChainSpec(), RING)
    backend.start_nodes(["n1", "n2", "n3"])
    to_n2, to_n3 = _proxy_of(backend, "n1", "n2"), _proxy_of(backend, "n1", "n3")
    backend.set_link_enabled("n1", "n2", False)
    assert _reach(backend, "n1") == {to_n2: False, to_n3: True}
    assert all(_reach(backend, "n2").values())  # n2->n1 is another proxy, still up
    backend.set_link_enabled("n1", "n2", True)
    assert _reach(backend, "n1") == {to_n2: True, to_n3: True}
    assert backend.link_bytes()[("n1", "n2")] > 0


def test_a_toxiproxy_that_only_claims_to_cut_a_link_is_a_harness_fault(
    stand_in_backend: LocalBackend, tmp_path: Path, lying_toxiproxy: Callable[..., str]
) -> None:
    backend = stand_in_backend
    backend.setup(tmp_path, ChainSpec(), RING)
    backend.start_nodes(["n1", "n2", "n3"])
    assert backend._server is not None
    links = backend._need_links()
    links.client = ToxiproxyClient(lying_toxiproxy(backend._server.api_url))
    with pytest.raises(HarnessFault, match=r"link n1->n2: .* accepts connections"):
        backend.set_link_enabled("n1", "n2", False)
    assert all(_reach(backend, "n1").values())  # the lie: the link was never cut


def test_a_toxiproxy_that_drops_toxics_is_a_harness_fault(
    stand_in_backend: LocalBackend, tmp_path: Path, lying_toxiproxy: Callable[..., str]
) -> None:
    backend = stand_in_backend
    backend.setup(tmp_path, ChainSpec(), PAIR)
    assert backend._server is not None

    def swallows_toxics(method: str, path: str, body: object) -> bool:
        return method == "POST" and path.endswith("/toxics")

    links = backend._need_links()
    links.client = ToxiproxyClient(lying_toxiproxy(backend._server.api_url, swallows_toxics))
    with pytest.raises(HarnessFault, match=r"link n2->n1: .*loss.* but holds none"):
        backend.set_link("n2", "n1", LinkFault(loss=0.05))


def test_link_latency_slows_that_link_only(stand_in_backend: LocalBackend, tmp_path: Path) -> None:
    backend = stand_in_backend
    backend.setup(tmp_path, ChainSpec(), PAIR)
    backend.start_nodes(["n1", "n2"])
    backend.set_link("n1", "n2", LinkFault(latency_ms=300))
    start = time.monotonic()
    assert all(_reach(backend, "n1").values())
    assert time.monotonic() - start >= 0.3
    start = time.monotonic()
    assert all(_reach(backend, "n2").values())
    assert time.monotonic() - start < 0.3


def test_kill_restart_pause_resume_stop(stand_in_backend: LocalBackend, tmp_path: Path) -> None:
    backend = stand_in_backend
    backend.setup(tmp_path, ChainSpec(), RING)
    backend.start_nodes(["n1", "n2", "n3"])
    url = backend.endpoint("n2").url + "/health"

    backend.kill_node("n2")
    assert not backend.is_running("n2")
    with pytest.raises(httpx.TransportError):
        HTTP.get(url, timeout=1)
    backend.start_node("n2")
    assert _get(backend, "n2", "/status")["starts"] == 2  # type: ignore[index]  # same data dir

    backend.pause_node("n2")
    assert backend.is_running("n2")
    with pytest.raises(httpx.TimeoutException):
        HTTP.get(url, timeout=0.5)
    backend.resume_node("n2")
    assert HTTP.get(url, timeout=3).status_code == 200

    stats = backend.stats("n2")
    assert stats.rss_bytes is not None and stats.rss_bytes > 1_000_000
    backend.pause_node("n3")
    backend.stop_node("n3")  # a paused node still stops
    assert not backend.is_running("n3")
    assert backend.stats("n3").rss_bytes is None


def test_teardown_leaves_no_process_and_is_idempotent(tmp_path: Path) -> None:
    backend = LocalBackend(node_command=STAND_IN)
    backend.setup(tmp_path, ChainSpec(), RING)
    backend.start_nodes(["n1", "n2", "n3"])
    pids = _pids(tmp_path)
    assert len(pids) == 4  # three nodes and toxiproxy
    logs = backend.collect_logs(tmp_path / "logs")
    assert {p.name for p in logs} == {"n1.log", "n2.log", "n3.log", "toxiproxy.log"}
    backend.teardown()
    backend.teardown()
    assert not [p for p in pids if psutil.pid_exists(p) and psutil.Process(p).status() != "zombie"]
    assert not (tmp_path / "pids.json").exists()


RUNNER = (
    "import sys, threading; from pathlib import Path\n"
    "from chaosnet.backends.local import LocalBackend\n"
    "from chaosnet.specs import ChainSpec, NodeSpec\n"
    f"b = LocalBackend(node_command={STAND_IN!r})\n"
    "def start():\n"
    "    b.setup(Path(sys.argv[1]), ChainSpec(), [NodeSpec('n1', ()), NodeSpec('n2', ())])\n"
    "    b.start_nodes(['n1', 'n2'])\n"
    "worker = threading.Thread(target=start); worker.start(); worker.join()\n"
    "print('up', flush=True)\n"
    "import time; time.sleep(60)\n"
)


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            continue
    return alive


def test_a_sigkilled_runner_leaves_no_process_behind(tmp_path: Path) -> None:
    """Started from a thread that has ended by then; nobody calls `chaosnet down`."""
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER, str(tmp_path / "elsewhere")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert runner.stdout is not None and runner.stdout.readline().strip() == "up"
        pids = _pids(tmp_path / "elsewhere")
        assert len(_alive(pids)) == 3  # two nodes and toxiproxy outlived the starting thread
    finally:
        os.kill(runner.pid, signal.SIGKILL)
        runner.wait(10)
    deadline = time.monotonic() + 5
    while _alive(pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _alive(pids) == []


def test_down_all_finds_a_registered_run_wherever_it_is_and_spares_reused_pids(
    tmp_path: Path, private_state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What PDEATHSIG cannot cover (another OS, a process started before it was armed)."""
    # `down --all` would also remove every chaosnet container on the engine, including those of
    # docker tests running meanwhile: point it at an engine that is not there
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    run_dir = tmp_path / "out" / "run-1"
    run_dir.mkdir(parents=True)
    registry.register(run_dir)
    leftover = subprocess.Popen(["sleep", "60"], start_new_session=True)
    stranger = subprocess.Popen(["sleep", "61"], start_new_session=True)
    try:
        entries = []
        for label, proc, cmdline in [
            ("n1", leftover, ["sleep", "60"]),
            ("n2", stranger, ["chaosnet-node", "--port=1"]),  # the pid now runs something else
        ]:
            ps = psutil.Process(proc.pid)
            entries.append(
                {
                    "name": label,
                    "pid": proc.pid,
                    "create_time": ps.create_time(),
                    "cmdline": cmdline,
                }
            )
        (run_dir / "pids.json").write_text(json.dumps({"processes": entries}))
        result = CliRunner().invoke(app, ["down", "--all", "--runs-dir", str(tmp_path / "runs")])
        assert f"killed n1 (pid {leftover.pid}) of run-1" in result.output
        assert "docker: skipped" in result.output
        assert leftover.wait(5) == -signal.SIGKILL
        assert stranger.poll() is None
        assert registry.registered() == []
    finally:
        for proc in (leftover, stranger):
            proc.kill()
            proc.wait(5)


def test_a_node_that_exits_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    failing = [sys.executable, "-c", "import sys; print('bad flag'); sys.exit(3)"]
    backend = LocalBackend(node_command=failing, start_timeout=10)
    try:
        backend.setup(tmp_path, ChainSpec(), [NodeSpec("n1", ())])
        with pytest.raises(BackendError, match=r"exited with code 3(.|\n)*bad flag"):
            backend.start_node("n1")
    finally:
        backend.teardown()
