"""The docker backend: one container per node, one Toxiproxy container, nothing else reachable.

Isolation: every node sits alone with Toxiproxy on its own `internal` network (no gateway, no
other node), so the only thing a node can dial is a proxy; a peer address that bypasses the dial
map fails to resolve or connect instead of silently escaping the faults. Toxiproxy also joins the
run's bridge network, where its API and one unfaulted `api:NAME` proxy per node are published on
127.0.0.1 — that is how the runner reaches node APIs from the host.

Every fault is checked after it is applied (`links.Links`, `health`): a killed container is no
longer running, a paused node does not answer `/health` and a resumed one does, a CPU quota is in
the container's host config and gone once lifted. Cut and restored links are probed from the host
on Toxiproxy's address in the run's bridge network (reachable from a Linux host).

CPU share: with the cgroupfs driver Docker puts every container under one `/docker` cgroup, whose
CPU weight is that of a single process; on a busy host all the nodes of a run then share what one
local node process gets (the main reason docker runs propagated blocks 10x slower than local
ones, docs/performance.md). Containers go directly under the root cgroup instead, each weighing
what one local process weighs. (The systemd driver puts them in a slice; left as it is.)

Networks get explicit /29 subnets from `CHAOSNET_DOCKER_POOL` (default 10.213.0.0/16): Docker's
default address pools hold only about 30 networks, fewer than the nodes of a large run. In each,
Toxiproxy is .2 and the node .3; the node has `toxiproxy` in its /etc/hosts and Toxiproxy dials
the node's address, so no message (one connection each) waits on Docker's DNS inside dockerd.

    labels      chaosnet=1, chaosnet.run=RUN_ID on every container, network and volume
    names       chaosnet-RUN-NAME (container, volume), chaosnet-RUN-net-NAME (network)
    node        port 8000, advertises NAME:8000, data in the volume at /data
    toxiproxy   API 8474; link proxies listen on 10000+, API proxies on 9000+ (published)
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import itertools
import json
import os
import re
import tarfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from docker.errors import APIError, NotFound

import docker
from chaosnet import httpclient
from chaosnet.backends.command import node_args
from chaosnet.backends.health import expect_answers, expect_silent
from chaosnet.backends.images import NODE_IMAGE, TOXIPROXY_IMAGE, engine, ensure_images
from chaosnet.backends.links import LinkedNodes, Links, check_topology
from chaosnet.errors import BackendError, HarnessFault
from chaosnet.faults.toxiproxy import ProxySpec, ToxiproxyClient, server_env, wait_until_answers
from chaosnet.specs import ChainSpec, Endpoint, NodeSpec, NodeStats
from docker import DockerClient

NODE_PORT = 8000
API_PORT = 8474
API_PROXY_BASE = 9000
LINK_PROXY_BASE = 10000
CPU_PERIOD = 100_000
DIAL_MAP = "/etc/chaosnet/dial-map.json"
LABEL = "chaosnet"
RUN_LABEL = "chaosnet.run"


@dataclass
class _Node:
    spec: NodeSpec
    api_slot: int
    container: Any


class _Addresses:
    """A node's /29 network: .1 is Docker's gateway, Toxiproxy takes .2 and the node .3."""

    def __init__(self, subnet: ipaddress.IPv4Network) -> None:
        self.subnet = subnet
        self.toxiproxy = str(subnet.network_address + 2)
        self.node = str(subnet.network_address + 3)


class DockerBackend(LinkedNodes[_Node]):
    """Containers on one Docker engine; see the module docstring for the layout."""

    name = "docker"

    def __init__(
        self,
        start_timeout: float = 60.0,
        stop_grace: float = 5.0,
        toxiproxy_timeout: float = 5.0,
        build_images: bool = True,
        node_image: str = NODE_IMAGE,
    ) -> None:
        """`node_image` runs another image speaking the same CLI and API (its own node)."""
        self.start_timeout = start_timeout
        self.stop_grace = stop_grace
        self.toxiproxy_timeout = toxiproxy_timeout
        self.build_images = build_images
        self.node_image = node_image
        self._docker: DockerClient | None = None
        self._nodes: dict[str, _Node] = {}
        self._links: Links | None = None
        self._api_urls: dict[int, str] = {}
        self._run_dir: Path | None = None
        self._run_id = ""
        self._chain = ChainSpec()
        self._toxiproxy: Any = None
        self._client: ToxiproxyClient | None = None
        self._subnets: Iterator[ipaddress.IPv4Network] | None = None
        self._torn_down = False
        self._cgroup_parent: str | None = None

    # -- setup ------------------------------------------------------------------------------

    def setup(self, run_dir: Path, chain: ChainSpec, nodes: list[NodeSpec]) -> None:
        """Images (built if missing), the Toxiproxy container, networks, volumes, nodes, proxies."""
        check_topology(nodes)
        for spec in nodes:
            if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_.-]*", spec.name):
                raise BackendError(f"node name {spec.name!r} is not a valid container hostname")
        self._run_dir = run_dir
        self._run_id = re.sub(r"[^a-zA-Z0-9_.-]", "-", run_dir.name)
        self._chain = chain
        run_dir.mkdir(parents=True, exist_ok=True)
        if self.build_images:
            ensure_images(progress=lambda line: None)
        self._docker = engine(timeout=60)
        self._cgroup_parent = cgroup_parent(self._docker)
        self._subnets = self._free_subnets()
        bridge = self._docker.networks.create(f"chaosnet-{self._run_id}", labels=self._labels())
        ports = {f"{API_PORT}/tcp": ("127.0.0.1", None)}
        ports |= {f"{API_PROXY_BASE + i}/tcp": ("127.0.0.1", None) for i in range(len(nodes))}
        self._toxiproxy = self._docker.containers.run(
            TOXIPROXY_IMAGE,
            name=f"chaosnet-{self._run_id}-toxiproxy",
            labels=self._labels(),
            environment=server_env(),
            network=bridge.name,
            ports=ports,
            cgroup_parent=self._cgroup_parent,
            detach=True,
        )
        self._toxiproxy.reload()
        settings = self._toxiproxy.attrs["NetworkSettings"]
        published = settings["Ports"]

        def host_url(port: int) -> str:
            binding = published[f"{port}/tcp"][0]
            return f"http://{binding['HostIp']}:{binding['HostPort']}"

        self._api_urls = {i: host_url(API_PROXY_BASE + i) for i in range(len(nodes))}
        self._client = ToxiproxyClient(host_url(API_PORT), timeout=self.toxiproxy_timeout)
        wait_until_answers(self._client, 20)
        subnets = {spec.name: _Addresses(next(self._subnets)) for spec in nodes}
        upstreams = {name: f"{a.node}:{NODE_PORT}" for name, a in subnets.items()}
        links = Links(
            self._client,
            {spec.name: f"{spec.name}:{NODE_PORT}" for spec in nodes},
            itertools.count(LINK_PROXY_BASE),
            listen_host="0.0.0.0",
            dial_host="toxiproxy",
            probe_host=settings["Networks"][bridge.name]["IPAddress"],
            upstreams=upstreams,
        )
        self._links = links
        for slot, spec in enumerate(nodes):
            self._create_node(spec, slot, links, subnets[spec.name])
        links.create(
            [
                ProxySpec(f"api:{name}", f"0.0.0.0:{API_PROXY_BASE + n.api_slot}", upstreams[name])
                for name, n in self._nodes.items()
            ]
        )

    def _create_node(self, spec: NodeSpec, slot: int, links: Links, at: _Addresses) -> None:
        """The node's own internal network (shared with Toxiproxy only), volume and container,
        each end at a fixed address: the node finds Toxiproxy in its /etc/hosts and Toxiproxy
        dials the node's address, so no connection waits on Docker's DNS (which runs inside
        dockerd, busy on the same cores, and peers open a connection per message)."""
        engine, labels = self._need_docker(), self._labels()
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=str(at.subnet))])
        network = engine.networks.create(
            f"chaosnet-{self._run_id}-net-{spec.name}", internal=True, labels=labels, ipam=ipam
        )
        network.connect(self._toxiproxy, aliases=["toxiproxy"], ipv4_address=at.toxiproxy)
        volume = engine.volumes.create(f"chaosnet-{self._run_id}-{spec.name}", labels=labels)
        args = node_args(
            spec,
            self._chain,
            port=NODE_PORT,
            host="0.0.0.0",
            peers=links.peers(spec),
            data_dir="/data",
            advertise=f"{spec.name}:{NODE_PORT}",
            dial_map=DIAL_MAP,
            hold_mining=True,
        )
        container = engine.containers.create(
            self.node_image,
            command=args,
            name=f"chaosnet-{self._run_id}-{spec.name}",
            hostname=spec.name,
            labels=labels,
            network=network.name,
            networking_config={
                network.name: engine.api.create_endpoint_config(ipv4_address=at.node)
            },
            extra_hosts={"toxiproxy": at.toxiproxy},
            volumes={volume.name: {"bind": "/data", "mode": "rw"}},
            cgroup_parent=self._cgroup_parent,
        )
        dial_map = json.dumps(links.dial_map(spec.name), indent=1).encode()
        _put_file(container, DIAL_MAP, dial_map)
        self._nodes[spec.name] = _Node(spec, slot, container)

    # -- node lifecycle ---------------------------------------------------------------------

    def start_node(self, name: str) -> None:
        self.start_nodes([name])

    def start_nodes(self, names: Sequence[str]) -> None:
        nodes = [self._node(n) for n in names]
        for node in nodes:
            if self._status(node) in ("running", "paused"):
                raise BackendError(f"node {node.spec.name!r} is already running")
        for node in nodes:
            node.container.start()
        deadline = time.monotonic() + self.start_timeout
        for node in nodes:
            self._wait_healthy(node, deadline)

    def _wait_healthy(self, node: _Node, deadline: float) -> None:
        url = self._api_urls[node.api_slot] + "/health"
        with httpclient.client(timeout=1.0) as http:
            while time.monotonic() < deadline:
                if self._status(node) == "exited":
                    raise BackendError(
                        f"node {node.spec.name!r} exited while starting; its log ends:\n"
                        + self._logs(node)[-2000:]
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if http.get(url).status_code == 200:
                        return
                time.sleep(0.2)
        raise BackendError(
            f"node {node.spec.name!r} did not answer {url} within {self.start_timeout:g}s; "
            "its log ends:\n" + self._logs(node)[-2000:]
        )

    def stop_node(self, name: str) -> None:
        node = self._node(name)
        if self._status(node) == "paused":
            node.container.unpause()
        if self._status(node) == "running":
            node.container.stop(timeout=int(self.stop_grace))

    def kill_node(self, name: str) -> None:
        """`docker kill`; checked: the container no longer runs."""
        node = self._node(name)
        if self._status(node) in ("running", "paused"):
            node.container.kill()
            node.container.wait(timeout=30)
            status = self._status(node)
            if status in ("running", "paused", "restarting"):
                raise HarnessFault(f"node {name!r} was killed but its container is {status}")

    def pause_node(self, name: str) -> None:
        """`docker pause`; checked: the node no longer answers /health."""
        node = self._node(name)
        node.container.pause()
        expect_silent(name, self._api_urls[node.api_slot] + "/health")

    def resume_node(self, name: str) -> None:
        """`docker unpause`; checked: the node answers /health again."""
        node = self._node(name)
        node.container.unpause()
        expect_answers(name, self._api_urls[node.api_slot] + "/health")

    def is_running(self, name: str) -> bool:
        return self._status(self._node(name)) in ("running", "paused")

    def set_cpu(self, name: str, fraction: float | None) -> None:
        """CPU quota for a slow node: `fraction` of one CPU; None lifts the limit.

        Checked: the container's host config holds the quota, or no quota once lifted.
        """
        node = self._node(name)
        quota = -1 if fraction is None else max(1000, int(fraction * CPU_PERIOD))
        node.container.update(cpu_period=CPU_PERIOD, cpu_quota=quota)
        node.container.reload()
        held = node.container.attrs["HostConfig"].get("CpuQuota") or 0
        if held != max(quota, 0) and not (quota < 0 and held < 0):
            wanted = "no CPU quota" if fraction is None else f"CpuQuota {quota}"
            raise HarnessFault(
                f"node {name!r}: asked Docker for {wanted}, its host config has {held}"
            )

    def _status(self, node: _Node) -> str:
        node.container.reload()
        return str(node.container.status)

    # -- observation ------------------------------------------------------------------------

    def endpoint(self, name: str) -> Endpoint:
        node = self._node(name)
        extra = {"address": f"{name}:{NODE_PORT}", "container": node.container.name}
        return Endpoint(name, self._api_urls[node.api_slot], extra)

    def stats(self, name: str) -> NodeStats:
        """Memory as the engine reports it (usage minus page cache); CPU is not sampled. One
        engine call: a container that is not running reports no memory, so no inspect first."""
        raw = self._node(name).container.stats(stream=False, one_shot=True)
        memory = raw.get("memory_stats", {})
        usage = memory.get("usage")
        if usage is None:
            return NodeStats(rss_bytes=None)
        details = memory.get("stats", {})
        cache = details.get("inactive_file", details.get("total_inactive_file", 0))
        return NodeStats(rss_bytes=int(usage) - int(cache))

    def collect_logs(self, dest: Path) -> list[Path]:
        dest.mkdir(parents=True, exist_ok=True)
        written = []
        for name, node in self._nodes.items():
            path = dest / f"{name}.log"
            path.write_text(self._logs(node))
            written.append(path)
        if self._toxiproxy is not None:
            path = dest / "toxiproxy.log"
            path.write_bytes(self._toxiproxy.logs())
            written.append(path)
        return written

    def _logs(self, node: _Node) -> str:
        with contextlib.suppress(APIError):
            return bytes(node.container.logs()).decode(errors="replace")
        return ""

    # -- teardown ---------------------------------------------------------------------------

    def teardown(self, keep: bool = False) -> None:
        """Logs into RUN_DIR/nodes/NAME/node.log, then remove everything with this run's label.

        `keep` leaves containers, networks and volumes for inspection (`chaosnet down RUN_ID`).
        """
        if self._torn_down:
            return
        self._torn_down = True
        if self._run_dir is not None and self._nodes:
            with contextlib.suppress(APIError, OSError):
                for name, node in self._nodes.items():
                    node_dir = self._run_dir / "nodes" / name
                    node_dir.mkdir(parents=True, exist_ok=True)
                    (node_dir / "node.log").write_text(self._logs(node))
        if self._client is not None:
            self._client.close()
        if not keep and self._run_id:
            remove_labelled(self._run_id)
        if self._docker is not None:
            self._docker.close()

    # -- helpers ----------------------------------------------------------------------------

    def _labels(self) -> dict[str, str]:
        return {LABEL: "1", RUN_LABEL: self._run_id}

    def _free_subnets(self) -> Iterator[ipaddress.IPv4Network]:
        """/29 subnets of the pool that no existing Docker network overlaps."""
        pool = ipaddress.ip_network(os.environ.get("CHAOSNET_DOCKER_POOL", "10.213.0.0/16"))
        if not isinstance(pool, ipaddress.IPv4Network):
            raise BackendError(f"CHAOSNET_DOCKER_POOL must be an IPv4 network, got {pool}")
        used = []
        for network in self._need_docker().networks.list():
            for config in (network.attrs.get("IPAM") or {}).get("Config") or []:
                with contextlib.suppress(KeyError, ValueError):
                    used.append(ipaddress.ip_network(config["Subnet"]))
        for subnet in pool.subnets(new_prefix=29):
            if not any(subnet.overlaps(u) for u in used if u.version == 4):
                yield subnet

    def _need_docker(self) -> DockerClient:
        if self._docker is None:
            raise BackendError("the docker backend is not set up (call setup first)")
        return self._docker


def cgroup_parent(client: DockerClient) -> str | None:
    """Where our containers' cgroups go: the root under the cgroupfs driver, so that each weighs
    one process (see the module docstring); None, Docker's default, under any other driver."""
    return "/" if client.info().get("CgroupDriver") == "cgroupfs" else None


def _put_file(container: Any, path: str, data: bytes) -> None:
    """Write one file into a (created or running) container."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        info = tarfile.TarInfo(Path(path).name)
        info.size = len(data)
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(data))
    if not container.put_archive(str(Path(path).parent), buffer.getvalue()):
        raise HarnessFault(f"could not write {path} into container {container.name}")


def remove_labelled(run_id: str | None = None) -> list[str]:
    """Remove containers, then networks, then volumes of one run, or of every run.

    Only objects with a run label go: the intermediate containers of an image build inherit the
    Dockerfile's `chaosnet=1` label, and removing them kills a build in progress.
    """
    client = engine(timeout=60)
    label = f"{RUN_LABEL}={run_id}" if run_id else RUN_LABEL
    removed: list[str] = []
    try:
        for container in client.containers.list(all=True, filters={"label": label}):
            with contextlib.suppress(NotFound):
                container.remove(force=True, v=True)
                removed.append(f"container {container.name}")
        for network in client.networks.list(filters={"label": label}):
            with contextlib.suppress(NotFound):
                network.remove()
                removed.append(f"network {network.name}")
        for volume in client.volumes.list(filters={"label": label}):
            with contextlib.suppress(NotFound):
                volume.remove(force=True)
                removed.append(f"volume {volume.name}")
    finally:
        client.close()
    return removed
