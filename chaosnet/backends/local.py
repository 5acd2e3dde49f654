"""The local backend: node processes on 127.0.0.1 and one toxiproxy-server between them.

Every node listens on its own port; every directed link `a->b` is a Toxiproxy proxy on another
port whose upstream is b. A node's `--peers` are the proxies towards its topology neighbours and
its dial map sends every other node's advertised address through the matching proxy, so no
message escapes the faults. Each child runs in its own process group (signals reach the node and
anything it spawned; Ctrl-C in the terminal reaches only chaosnet, which then tears down).

Children die with chaosnet, even a SIGKILLed one (`children.spawn`: PR_SET_PDEATHSIG on Linux).
As a second line, `RUN_DIR/pids.json` lists every process with its start time and command line,
and the run is recorded in the state dir (`registry`) until teardown, so `chaosnet down` finds
and kills leftovers wherever `--out` pointed, never an unrelated process that reused a pid.
Every fault is checked after it is applied (`links.Links`, `health`): a crashed node's process
is gone, a paused one does not answer `/health`, a resumed one does.

    RUN_DIR/toxiproxy.log
    RUN_DIR/pids.json
    RUN_DIR/nodes/NAME/{data/, node.log, dial-map.json}
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from chaosnet import httpclient, tools
from chaosnet.backends import registry
from chaosnet.backends.children import spawn
from chaosnet.backends.command import node_args
from chaosnet.backends.health import expect_answers, expect_silent
from chaosnet.backends.links import LinkedNodes, Links, check_topology
from chaosnet.backends.ports import free_ports
from chaosnet.backends.toxiproxy_server import ToxiproxyServer
from chaosnet.errors import BackendError, HarnessFault
from chaosnet.faults.toxiproxy import ToxiproxyClient
from chaosnet.specs import ChainSpec, Endpoint, NodeSpec, NodeStats

HOST = "127.0.0.1"
PIDS_FILE = "pids.json"


@dataclass
class _Node:
    spec: NodeSpec
    port: int
    dir: Path
    process: subprocess.Popen[bytes] | None = None
    ps: psutil.Process | None = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class LocalBackend(LinkedNodes[_Node]):
    """Processes on this machine; see the module docstring for the layout of a run dir."""

    name = "local"

    def __init__(
        self,
        start_timeout: float = 30.0,
        stop_grace: float = 5.0,
        toxiproxy_timeout: float = 5.0,
        toxiproxy_binary: str | None = None,
        node_command: Sequence[str] | None = None,
    ) -> None:
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self.toxiproxy_timeout = toxiproxy_timeout
        self.toxiproxy_binary = toxiproxy_binary
        self.node_command = list(node_command) if node_command else tools.node_command()
        self._nodes: dict[str, _Node] = {}
        self._links: Links | None = None
        self._run_dir: Path | None = None
        self._registered: Path | None = None
        self._chain = ChainSpec()
        self._server: ToxiproxyServer | None = None
        self._client: ToxiproxyClient | None = None
        self._torn_down = False

    # -- setup ------------------------------------------------------------------------------

    def setup(self, run_dir: Path, chain: ChainSpec, nodes: list[NodeSpec]) -> None:
        """Ports for every node and directed link, the proxies, the dial maps; no node runs yet."""
        check_topology(nodes)
        self._run_dir = run_dir
        self._chain = chain
        run_dir.mkdir(parents=True, exist_ok=True)
        atexit.register(self.teardown)
        self._registered = registry.register(run_dir)
        self._server = ToxiproxyServer.start(
            log_path=run_dir / "toxiproxy.log", binary=self.toxiproxy_binary
        )
        self._write_pids()
        self._client = ToxiproxyClient(self._server.api_url, timeout=self.toxiproxy_timeout)
        link_count = len(nodes) * (len(nodes) - 1)
        ports = iter(free_ports(len(nodes) + link_count, HOST))
        for spec in nodes:
            node_dir = run_dir / "nodes" / spec.name
            (node_dir / "data").mkdir(parents=True, exist_ok=True)
            self._nodes[spec.name] = _Node(spec, next(ports), node_dir)
        addresses = {name: node.address for name, node in self._nodes.items()}
        links = Links(
            self._client, addresses, ports, listen_host=HOST, dial_host=HOST, probe_host=HOST
        )
        links.create()
        for name, node in self._nodes.items():
            _write_json(node.dir / "dial-map.json", links.dial_map(name))
        self._links = links

    # -- node lifecycle ---------------------------------------------------------------------

    def start_node(self, name: str) -> None:
        self.start_nodes([name])

    def start_nodes(self, names: Sequence[str]) -> None:
        """Launch all, then wait for each `/health` (parallel start-up, one shared deadline)."""
        nodes = [self._node(n) for n in names]
        for node in nodes:
            if node.alive():
                raise BackendError(f"node {node.spec.name!r} is already running")
        for node in nodes:
            self._launch(node)
        self._write_pids()
        deadline = time.monotonic() + self.start_timeout
        for node in nodes:
            self._wait_healthy(node, deadline)

    def _launch(self, node: _Node) -> None:
        spec = node.spec
        peers = self._need_links().peers(spec)
        argv = self.node_command + node_args(
            spec,
            self._chain,
            port=node.port,
            host=HOST,
            peers=peers,
            data_dir=str(node.dir / "data"),
            advertise=node.address,
            dial_map=str(node.dir / "dial-map.json"),
            hold_mining=True,
        )
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with open(node.dir / "node.log", "ab") as log:
            log.write(f"--- chaosnet: starting {' '.join(argv)}\n".encode())
            log.flush()
            node.process = spawn(
                argv, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True
            )
        node.ps = None

    def _wait_healthy(self, node: _Node, deadline: float) -> None:
        url = f"http://{node.address}/health"
        with httpclient.client(timeout=1.0) as http:
            while time.monotonic() < deadline:
                assert node.process is not None
                if node.process.poll() is not None:
                    raise BackendError(
                        f"node {node.spec.name!r} exited with code {node.process.returncode} "
                        f"while starting; last lines of {node.dir / 'node.log'}:\n"
                        + _tail(node.dir / "node.log")
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(url).status_code == 200:
                        return
                time.sleep(0.1)
        self._signal(node, signal.SIGKILL)
        self._reap(node)
        raise BackendError(
            f"node {node.spec.name!r} did not answer {url} within {self.start_timeout:g}s; "
            f"last lines of {node.dir / 'node.log'}:\n" + _tail(node.dir / "node.log")
        )

    def stop_node(self, name: str) -> None:
        node = self._node(name)
        if not node.alive():
            return
        self._signal(node, signal.SIGTERM)
        self._signal(node, signal.SIGCONT)  # a paused node must run to handle SIGTERM
        try:
            assert node.process is not None
            node.process.wait(self.stop_grace)
        except subprocess.TimeoutExpired:
            self._signal(node, signal.SIGKILL)
        self._reap(node)

    def kill_node(self, name: str) -> None:
        """SIGKILL the node's group; checked: no process of that group is left."""
        node = self._node(name)
        if node.alive():
            assert node.process is not None
            group = node.process.pid
            self._signal(node, signal.SIGKILL)
            self._reap(node)
            survivors = _group_members(group, settle=1.0)
            if survivors:
                raise HarnessFault(
                    f"node {name!r} was killed but processes {survivors} of its group remain"
                )

    def pause_node(self, name: str) -> None:
        """SIGSTOP; checked: the node no longer answers /health."""
        node = self._running(name)
        self._signal(node, signal.SIGSTOP)
        expect_silent(name, f"http://{node.address}/health")

    def resume_node(self, name: str) -> None:
        """SIGCONT; checked: the node answers /health again."""
        node = self._running(name)
        self._signal(node, signal.SIGCONT)
        expect_answers(name, f"http://{node.address}/health")

    def is_running(self, name: str) -> bool:
        return self._node(name).alive()

    def _signal(self, node: _Node, sig: signal.Signals) -> None:
        if node.process is not None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(node.process.pid, sig)

    def _reap(self, node: _Node) -> None:
        assert node.process is not None
        try:
            node.process.wait(10)
        except subprocess.TimeoutExpired as exc:
            raise HarnessFault(
                f"node {node.spec.name!r} (pid {node.process.pid}) survived SIGKILL for 10s"
            ) from exc

    # -- observation ------------------------------------------------------------------------

    def endpoint(self, name: str) -> Endpoint:
        node = self._node(name)
        return Endpoint(name, f"http://{node.address}", {"address": node.address})

    def stats(self, name: str) -> NodeStats:
        """RSS of the node and its children; CPU % since the previous call (None the first time)."""
        node = self._node(name)
        if not node.alive():
            return NodeStats(rss_bytes=None)
        assert node.process is not None
        try:
            first = node.ps is None
            if node.ps is None:
                node.ps = psutil.Process(node.process.pid)
            procs = [node.ps, *node.ps.children(recursive=True)]
            rss = sum(p.memory_info().rss for p in procs)
            cpu = node.ps.cpu_percent(None)
        except psutil.Error:
            return NodeStats(rss_bytes=None)
        return NodeStats(rss_bytes=rss, cpu_percent=None if first else cpu)

    def collect_logs(self, dest: Path) -> list[Path]:
        dest.mkdir(parents=True, exist_ok=True)
        written = []
        run_dir = self._need_run_dir()
        sources = [(n.dir / "node.log", f"{name}.log") for name, n in self._nodes.items()]
        sources.append((run_dir / "toxiproxy.log", "toxiproxy.log"))
        for src, filename in sources:
            if src.exists():
                target = dest / filename
                if src.resolve() != target.resolve():
                    shutil.copyfile(src, target)
                written.append(target)
        return written

    # -- teardown ---------------------------------------------------------------------------

    def teardown(self, keep: bool = False) -> None:
        """Stop every process started; safe to call twice (also runs at interpreter exit).

        Processes never outlive chaosnet (see the module docstring): `keep` leaves them running
        for as long as this process lives (`chaosnet run --keep` waits for Ctrl-C, then calls
        teardown again). The run dir (data, logs) is always kept.
        """
        if self._torn_down or keep:
            return
        self._torn_down = True
        atexit.unregister(self.teardown)
        alive = [n for n in self._nodes.values() if n.alive()]
        for node in alive:
            self._signal(node, signal.SIGTERM)
            self._signal(node, signal.SIGCONT)
        deadline = time.monotonic() + self.stop_grace
        for node in alive:
            assert node.process is not None
            try:
                node.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._signal(node, signal.SIGKILL)
                node.process.wait(10)
        if self._client is not None:
            self._client.close()
        if self._server is not None:
            self._server.stop()
        if self._run_dir is not None:
            with contextlib.suppress(FileNotFoundError):
                (self._run_dir / PIDS_FILE).unlink()
        if self._registered is not None:
            registry.unregister(self._registered)

    # -- helpers ----------------------------------------------------------------------------

    def _write_pids(self) -> None:
        """Record every live child (pid, start time, command line) for `chaosnet down`."""
        entries = []
        children = [(n, node.process) for n, node in self._nodes.items() if node.alive()]
        if self._server is not None:
            children.append(("toxiproxy", self._server.process))
        for label, process in children:
            assert process is not None
            pid = process.pid
            with contextlib.suppress(psutil.Error):
                proc = psutil.Process(pid)
                entries.append(
                    {
                        "name": label,
                        "pid": pid,
                        "create_time": proc.create_time(),
                        "cmdline": proc.cmdline(),
                    }
                )
        _write_json(self._need_run_dir() / PIDS_FILE, {"backend": "local", "processes": entries})

    def _running(self, name: str) -> _Node:
        node = self._node(name)
        if not node.alive():
            raise BackendError(f"node {name!r} is not running")
        return node

    def _need_run_dir(self) -> Path:
        if self._run_dir is None:
            raise BackendError("the local backend is not set up (call setup first)")
        return self._run_dir


def kill_leftovers(run_dir: Path) -> list[str]:
    """Kill the process groups a crashed chaosnet left, from `run_dir/pids.json`.

    A pid is only signalled when its start time and command line still match the record (no
    pid-reuse victims). Returns a description of each process killed.
    """
    path = run_dir / PIDS_FILE
    try:
        record = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    killed = []
    for entry in record.get("processes", []):
        try:
            proc = psutil.Process(int(entry["pid"]))
            if abs(proc.create_time() - float(entry["create_time"])) > 0.01:
                continue
            if proc.cmdline() != entry["cmdline"]:
                continue
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(psutil.Error):
                proc.kill()
            killed.append(f"{entry['name']} (pid {proc.pid})")
        except (psutil.Error, KeyError, ValueError, TypeError):
            continue
    path.unlink(missing_ok=True)
    return killed


def _group_members(group: int, settle: float) -> list[int]:
    """Live (not zombie) processes of a process group, given `settle` seconds to go after a
    SIGKILL; cheap when the group is already empty."""
    deadline = time.monotonic() + settle
    while True:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return []
        except PermissionError:
            pass
        members = []
        for proc in psutil.process_iter(["status"]):
            with contextlib.suppress(psutil.Error, OSError):
                if proc.info["status"] != psutil.STATUS_ZOMBIE and os.getpgid(proc.pid) == group:
                    members.append(proc.pid)
        if not members or time.monotonic() > deadline:
            return members
        time.sleep(0.05)


def _write_json(path: Path, data: object) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=1))
    tmp.replace(path)


def _tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
