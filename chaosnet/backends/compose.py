"""A docker-compose file for a topology, in the original plan's shape.

`command: --port=8001 --peers=node2:8002,node3:8003`: nodes dial each other directly on one
network. That is the plain, fault-free layout users know from compose; the docker backend adds
the Toxiproxy layer and the isolation that compose alone cannot express.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import yaml

from chaosnet.backends.command import node_args
from chaosnet.backends.images import NODE_IMAGE
from chaosnet.specs import ChainSpec, NodeSpec

BASE_PORT = 8001


def ring_topology(count: int, prefix: str = "node") -> dict[str, list[str]]:
    """`count` nodes, each with its two ring neighbours (a line for two, nothing for one)."""
    names = [f"{prefix}{i}" for i in range(1, count + 1)]
    topology: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        around = {names[(i - 1) % count], names[(i + 1) % count]} - {name}
        topology[name] = sorted(around, key=names.index)
    return topology


def compose_file(
    topology: Mapping[str, Sequence[str]],
    chain: ChainSpec,
    specs: Mapping[str, NodeSpec] | None = None,
    image: str = NODE_IMAGE,
) -> str:
    """YAML text: one service per node on port 8001, 8002, … with `--peers` its neighbours."""
    ports = {name: BASE_PORT + i for i, name in enumerate(topology)}
    services = {}
    for name, neighbours in topology.items():
        spec = (specs or {}).get(name) or NodeSpec(name, tuple(neighbours))
        port = ports[name]
        command = node_args(
            spec,
            chain,
            port=port,
            host="0.0.0.0",
            peers=[f"{n}:{ports[n]}" for n in neighbours],
            data_dir="/data",
            advertise=f"{name}:{port}",
            dial_map=None,
            hold_mining=False,
        )
        services[name] = {
            "image": image,
            "command": " ".join(command),
            "ports": [f"127.0.0.1:{port}:{port}"],
            "volumes": [f"{name}-data:/data"],
            "labels": {"chaosnet": "1"},
        }
    document = {
        "services": services,
        "volumes": {f"{name}-data": {"labels": {"chaosnet": "1"}} for name in topology},
    }
    return yaml.safe_dump(document, sort_keys=False, width=1000)
