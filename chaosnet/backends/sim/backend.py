"""`--backend sim`: every node's real code in this process, on one virtual-time event loop.

Each node is the same `NodeApp` the `chaosnet-node` program builds (same arguments, parsed by the
node's own parser), with the world's virtual clocks and a transport that carries its messages
across the link layer; its SQLite store is a real file under the run directory, so a crash drops
the node from memory and a restart builds a new one from its store. The store skips the work that
only guards against a killed process (`durable_store=False`): here a crash closes the connection
between two transactions. The runner gets the world's clock (`clock`) and a transport to the
nodes' APIs (`transport`) and plays the run in one thread.
"""

from __future__ import annotations

import gc
import shutil
from collections.abc import Sequence
from pathlib import Path

import psutil

from chaosnet.backends.command import node_args
from chaosnet.backends.links import check_topology
from chaosnet.backends.sim.doors import SimListen
from chaosnet.backends.sim.links import LinkLayer, NodeTransport, RunnerTransport
from chaosnet.backends.sim.logs import NodeLogs
from chaosnet.backends.sim.threads import refuse_threaded
from chaosnet.backends.sim.world import SimClock, World
from chaosnet.errors import BackendError
from chaosnet.specs import ChainSpec, Endpoint, LinkFault, NodeSpec, NodeStats
from reference_node.app import NodeApp
from reference_node.cli import build_parser, config_from_args
from reference_node.node import NodeConfig

PORT = 80
GC_THRESHOLDS = (100_000, 20, 100)
"""The cyclic collector's thresholds while a world runs. Every node's chain, mempool and peer
tables live in this one long-lived heap, which CPython's defaults (700, 10, 10) traverse whole
every few simulated seconds: a quarter of a 200-node run's CPU, 7 % of a 10-node run's. Nodes make
few reference cycles, so collecting every 100,000 allocations instead of every 700 finds the
same garbage later: a run's peak memory did not move (docs/decisions.md D20)."""


def host_of(name: str) -> str:
    return f"{name}.sim"


def _refuse_unsimulable(chain: ChainSpec) -> None:
    """The library's guard; `chaosnet run` refuses the same earlier, at file:line:col."""
    if chain.mining == "real":
        raise BackendError("mining: real cannot run on the sim backend (CPU time is not virtual)")


class SimBackend:
    name = "sim"

    def __init__(self) -> None:
        self.world = World()
        self.clock = SimClock(self.world)
        self._configs: dict[str, NodeConfig] = {}
        self._layer: LinkLayer | None = None
        self._logs: NodeLogs | None = None
        self._threads_checked = False
        self._gc_thresholds: tuple[int, int, int] | None = None

    @property
    def transport(self) -> RunnerTransport:
        return RunnerTransport(self._need_layer)

    # -- lifecycle ------------------------------------------------------------------------------

    def setup(self, run_dir: Path, chain: ChainSpec, nodes: list[NodeSpec]) -> None:
        check_topology(nodes)
        _refuse_unsimulable(chain)
        parser = build_parser()
        for spec in nodes:
            args = node_args(
                spec,
                chain,
                port=PORT,
                host=host_of(spec.name),
                peers=[f"{host_of(n)}:{PORT}" for n in spec.neighbours],
                data_dir=str(run_dir / "nodes" / spec.name),
                advertise=f"{host_of(spec.name)}:{PORT}",
                dial_map=None,
                hold_mining=True,
            )
            self._configs[spec.name] = config_from_args(parser.parse_args(args), parser)
        hosts = {host_of(name): name for name in self._configs}
        self._layer = LinkLayer(self.world, hosts, chain.seed)
        self._logs = NodeLogs(run_dir / "nodes", self.world)
        if self._gc_thresholds is None:
            self._gc_thresholds = gc.get_threshold()
            gc.set_threshold(*GC_THRESHOLDS)

    def start_node(self, name: str) -> None:
        config = self._config(name)
        if name in self.world.apps:
            raise BackendError(f"node {name!r} is already running")
        layer = self._need_layer()
        try:
            app = NodeApp(
                config,
                clock=self.world.wall,
                monotonic=self.world.now,
                transport=NodeTransport(layer, name),
                listen=SimListen(layer, name, PORT),
                durable_store=False,
            )
        except Exception as exc:
            raise BackendError(f"node {name!r} did not start: {exc}") from exc
        if not self._threads_checked:  # every node's app has the same routes: build one
            refuse_threaded(app.http)
            self._threads_checked = True
        self.world.apps[name] = app
        self.world.run(app.start(), name)

    def start_nodes(self, names: Sequence[str]) -> None:
        for name in names:
            self.start_node(name)

    def stop_node(self, name: str) -> None:
        app = self._app(name)
        self.world.loop.thaw(name)
        self.world.run(app.stop(), name)
        self.world.drop(name)

    def kill_node(self, name: str) -> None:
        self._app(name)
        self.world.drop(name)

    def pause_node(self, name: str) -> None:
        self._app(name)
        self.world.loop.freeze(name)

    def resume_node(self, name: str) -> None:
        self._app(name)
        self.world.loop.thaw(name)

    def is_running(self, name: str) -> bool:
        return name in self.world.apps

    def teardown(self, keep: bool = False) -> None:
        try:
            if not self.world.loop.is_closed():
                for name in list(self.world.apps):
                    self.stop_node(name)
                self.world.close()
                if self._logs is not None:
                    self._logs.close()
        finally:
            if self._gc_thresholds is not None:
                gc.set_threshold(*self._gc_thresholds)
                self._gc_thresholds = None

    # -- links ----------------------------------------------------------------------------------

    def set_link(self, src: str, dst: str, fault: LinkFault) -> None:
        self._need_layer().link(src, dst).fault = fault

    def set_link_enabled(self, src: str, dst: str, enabled: bool) -> None:
        self._need_layer().link(src, dst).enabled = enabled

    def link_bytes(self) -> dict[tuple[str, str], int]:
        """Bytes per link that was ever dialled or given settings, as Toxiproxy reports only the
        proxies it has."""
        links = self._need_layer().links
        return {pair: links[pair].carried for pair in sorted(links)}

    # -- observation ----------------------------------------------------------------------------

    def endpoint(self, name: str) -> Endpoint:
        self._config(name)
        return Endpoint(name, f"http://{host_of(name)}:{PORT}")

    def node_names(self) -> list[str]:
        return list(self._configs)

    def stats(self, name: str) -> NodeStats:
        """Nodes share one process, so no memory figure is a node's own: every running node gets
        the process's RSS divided by the running nodes, an upper bound on the average node (the
        runner, and anything else the process holds, counts as the nodes' too)."""
        running = len(self.world.apps)
        if name not in self.world.apps:
            return NodeStats(rss_bytes=None)
        return NodeStats(rss_bytes=psutil.Process().memory_info().rss // running)

    def collect_logs(self, dest: Path) -> list[Path]:
        dest.mkdir(parents=True, exist_ok=True)
        written = []
        for name, config in self._configs.items():
            source = config.data_dir / "node.log"
            if source.exists():
                written.append(Path(shutil.copyfile(source, dest / f"{name}.log")))
        return written

    # -- helpers --------------------------------------------------------------------------------

    def _config(self, name: str) -> NodeConfig:
        try:
            return self._configs[name]
        except KeyError:
            raise BackendError(
                f"unknown node {name!r}; nodes are {sorted(self._configs)}"
            ) from None

    def _app(self, name: str) -> NodeApp:
        self._config(name)
        if name not in self.world.apps:
            raise BackendError(f"node {name!r} is not running")
        return self.world.apps[name]

    def _need_layer(self) -> LinkLayer:
        if self._layer is None:
            raise BackendError("the sim backend is not set up (call setup first)")
        return self._layer
