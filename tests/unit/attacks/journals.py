"""Small journals of real record shapes (as the observer and the settle phase write them) for the
attack metrics and assertions: one honest network n1..n3 and the attacker named in each test."""

from __future__ import annotations

from typing import Any

from chaosnet.scenario.loader import load_scenario_text
from chaosnet.scenario.model import Scenario

Record = dict[str, Any]
HONEST = ["n1", "n2", "n3"]
NAMES = {"addr-n1": "n1", "addr-n2": "n2", "addr-n3": "n3", "addr-eve": "eve"}


def scenario(attacker: str, assertions: str = "[]") -> Scenario:
    """Three honest miners and `eve` with the YAML flow mapping `attacker` (without the name)."""
    return load_scenario_text(
        "apiVersion: chaosnet/v1\nname: t\nduration: 60s\nnodes: {count: 3}\n"
        "chain: {difficulty: 4, block_interval: 1s}\n"
        f"attackers:\n  - {{name: eve, {attacker}}}\n"
        f"assertions: {assertions}\n"
    )


def started(node: str, t: float = 0.0, state: str = "started") -> Record:
    return {"kind": "node_state", "node": node, "state": state, "t": t}


def seen(node: str, block: str, height: int, miner: str, t: float, source: str = "peer") -> Record:
    return {
        "kind": "block_seen",
        "node": node,
        "hash": block,
        "height": height,
        "source": source,
        "miner": f"addr-{miner}",
        "seen_t": t,
        "t": t,
    }


def sample(node: str, t: float, height: int = 1, **fields: Any) -> Record:
    return {"kind": "sample", "node": node, "t": t, "tip": f"h{height}", "height": height, **fields}


def reorg(node: str, depth: int, new_tip: str, t: float = 30.0) -> Record:
    return {
        "kind": "reorg",
        "node": node,
        "depth": depth,
        "old_tip": "x",
        "new_tip": new_tip,
        "t": t,
    }


def final_chain(miners: list[str], txids: dict[int, list[str]] | None = None) -> Record:
    """The final honest chain: block k (1-based) is `B<k>` mined by miners[k-1]."""
    blocks = [
        {"hash": f"B{k}", "miner": f"addr-{m}", "txids": (txids or {}).get(k, [])}
        for k, m in enumerate(miners, start=1)
    ]
    return {
        "kind": "final_chain",
        "tip": blocks[-1]["hash"],
        "height": len(blocks),
        "blocks": blocks,
    }


def everyone_started() -> list[Record]:
    return [started(n) for n in [*HONEST, "eve"]]
