"""Byzantine personas as real node processes; the node tests' fixtures (`spawn`, `wait`) reused.

Every network here mines simulated blocks at difficulty 8 with a short interval, so an attack
plays out in seconds; `spawn` kills every process at teardown.
"""

from __future__ import annotations

from typing import Any

from tests.integration.node.conftest import NodeProcess, spawn, wait  # noqa: F401

INTERVAL = "0.5"


def miner(hashrate: float, seed: int = 1) -> tuple[str, ...]:
    return (
        "--mine", "--mining", "simulated", "--hashrate", str(hashrate),
        "--block-interval", INTERVAL, "--seed", str(seed),
    )  # fmt: skip


def persona(name: str, **args: Any) -> tuple[str, ...]:
    flags = ["--persona", name]
    for key, value in args.items():
        flags += ["--persona-arg", f"{key}={value}"]
    return tuple(flags)


def peers(*nodes: NodeProcess) -> tuple[str, ...]:
    return ("--peers", ",".join(n.address for n in nodes))


def stats(node: NodeProcess) -> dict[str, Any]:
    return dict(node.status()["persona_stats"])


def chain_headers(node: NodeProcess) -> list[dict[str, Any]]:
    """The node's active chain after genesis (headers with their `hash` and `height`)."""
    return list(node.get("/headers", params={"from": 1, "count": 2000}).json()["headers"])


def chain_miners(node: NodeProcess) -> list[str]:
    """The miner of every block of the node's active chain after genesis."""
    return [h["miner"] for h in chain_headers(node)]


def orphaned(node: NodeProcess, miners: set[str]) -> list[str]:
    """Blocks by `miners` the node took in (`block` events) that its active chain no longer holds."""
    events = node.get("/events", params={"since": 0}).json()["events"]
    active = {h["hash"] for h in chain_headers(node)}
    return [
        e["hash"]
        for e in events
        if e["kind"] == "block" and e["miner"] in miners and e["hash"] not in active
    ]


def peer_ids(node: NodeProcess) -> set[str]:
    return {p["node_id"] for p in node.status()["peers"]}


def same_tip(nodes: list[NodeProcess], min_height: int = 0) -> bool:
    statuses = [n.status() for n in nodes]
    return len({s["tip"] for s in statuses}) == 1 and statuses[0]["height"] >= min_height
