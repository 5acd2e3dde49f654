"""Pure pieces: node arguments per the CLI contract, the compose file, free ports."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import yaml

from chaosnet.backends.command import node_args
from chaosnet.backends.compose import compose_file, ring_topology
from chaosnet.backends.ports import ephemeral_range, free_ports
from chaosnet.plan import resolve
from chaosnet.scenario import load_scenario
from chaosnet.specs import ChainSpec, NodeSpec
from tests.runs import SCENARIOS


def test_node_args_follow_the_cli_contract() -> None:
    spec = NodeSpec(
        "n1",
        ("n2",),
        mine=True,
        hashrate=0.25,
        persona="sybil",
        persona_args=(("ids", "5"),),
        prune=20,
        extra_args=("--max-peers=4",),
    )
    args = node_args(
        spec,
        ChainSpec(difficulty=10, block_interval=1.5, seed=3),
        port=8001,
        host="127.0.0.1",
        peers=["127.0.0.1:9001"],
        data_dir="/d",
        advertise="127.0.0.1:8001",
        dial_map="/m.json",
        hold_mining=True,
    )
    assert args[:7] == [
        "--port=8001",
        "--host=127.0.0.1",
        "--node-id=n1",
        "--data-dir=/d",
        "--advertise=127.0.0.1:8001",
        "--peers=127.0.0.1:9001",
        "--dial-map=/m.json",
    ]
    for flag in (
        "--difficulty=10",
        "--block-interval=1.5",
        "--seed=3",
        "--mine",
        "--hashrate=0.25",
        "--hold-mining",
        "--persona=sybil",
        "--persona-arg=ids=5",
        "--prune=20",
        "--max-peers=4",
    ):
        assert flag in args


def test_compose_file_has_the_original_plan_shape() -> None:
    document = yaml.safe_load(compose_file(ring_topology(3), ChainSpec()))
    command = document["services"]["node1"]["command"]
    assert command.startswith("--port=8001 ")
    assert "--peers=node2:8002,node3:8003" in command
    assert set(document["volumes"]) == {"node1-data", "node2-data", "node3-data"}


def test_a_compose_file_s_miners_mine_from_the_start() -> None:
    """No runner calls `POST /mining/start` on a compose network; a held miner would never mine."""
    miner = NodeSpec("node1", ("node2",), mine=True, hashrate=1.0)
    document = yaml.safe_load(compose_file(ring_topology(2), ChainSpec(), {"node1": miner}))
    command = document["services"]["node1"]["command"]
    assert "--mine " in command and "--hold-mining" not in command


def test_ring_topology_small_cases() -> None:
    assert ring_topology(1) == {"node1": []}
    assert ring_topology(2) == {"node1": ["node2"], "node2": ["node1"]}
    assert ring_topology(4)["node1"] == ["node2", "node4"]


def test_free_ports_are_distinct_bindable_and_outside_the_ephemeral_range() -> None:
    ports = free_ports(50)
    low, _ = ephemeral_range()
    assert len(set(ports)) == 50 and all(p < low for p in ports)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", ports[0]))


def test_compose_from_a_scenario_has_its_nodes_links_and_miners(tmp_path: Path) -> None:
    out = tmp_path / "compose.yaml"
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from chaosnet.cli import main; main()",
            "compose",
            str(SCENARIOS / "partition-heal.yaml"),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(out.read_text())["services"]
    plan = resolve(load_scenario(SCENARIOS / "partition-heal.yaml"))
    assert sorted(services) == sorted(plan.node_names)
    for spec in plan.nodes:
        command = services[spec.name]["command"]
        peers = next(arg for arg in command.split() if arg.startswith("--peers="))
        assert sorted(p.split(":")[0] for p in peers[8:].split(",")) == sorted(spec.neighbours)
        assert ("--mine" in command.split()) == spec.mine


def test_compose_without_a_scenario_or_nodes_is_a_usage_error() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from chaosnet.cli import main; main()", "compose"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "--nodes" in done.stderr
