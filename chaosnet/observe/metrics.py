"""Run-wide measurements derived from the journal alone, so every report agrees with every other.

Inputs are journal records (`sample`, `block_seen`, `reorg`, `stats`, `node_state`, `event`,
`final_chain`); nothing here talks to a node.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chaosnet.observe.attacks import AttackMetrics

Record = dict[str, Any]


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Metrics:
    blocks: int = 0
    final_height: int | None = None
    final_tip: str | None = None
    converged: bool = False
    tps: float | None = None
    txs_submitted: int = 0
    txs_confirmed: int = 0
    propagation: list[float] = field(default_factory=list)  # per main-chain block, seconds
    propagation_coverage: float = 0.9
    reorg_count: int = 0
    reorg_max_depth: int = 0
    memory: dict[str, int] = field(default_factory=dict)
    sync_times: dict[str, float | None] = field(default_factory=dict)
    max_down_fraction: float = 0.0
    link_bytes: dict[str, int] = field(default_factory=dict)
    miners: dict[str, int] = field(default_factory=dict)  # node → main-chain blocks mined
    convergence: list[dict[str, Any]] = field(default_factory=list)
    attacks: AttackMetrics | None = None  # None: the scenario has no attackers

    def propagation_summary(self) -> dict[str, Any]:
        return {
            "coverage": self.propagation_coverage,
            "blocks": len(self.propagation),
            "p50": percentile(self.propagation, 50),
            "p90": percentile(self.propagation, 90),
            "p99": percentile(self.propagation, 99),
        }


def block_propagation(
    records: list[Record], main_chain: set[str], nodes: list[str], coverage: float
) -> list[float]:
    """Seconds from each main-chain block's first sighting until `coverage` of the nodes that
    were running at that moment had seen it too.

    A block that fewer than `coverage` of those nodes ever saw has no figure. Blocks first seen
    while a partition was in force are left out: no propagation time can be expected across a
    cut network, and the convergence after the heal is what measures that.
    """
    partitioned = partition_windows(records)
    up = up_intervals(records)
    seen: dict[str, dict[str, float]] = defaultdict(dict)
    for r in records:
        if r["kind"] == "block_seen" and r["node"] in nodes:
            seen[r["hash"]].setdefault(r["node"], float(r["seen_t"]))
    times = []
    for block_hash, by_node in seen.items():
        if block_hash not in main_chain:
            continue
        first = min(by_node.values())
        if any(start <= first < end for start, end in partitioned):
            continue
        running = [n for n in nodes if any(s <= first < e for s, e in up.get(n, []))]
        need = max(1, math.ceil(coverage * len(running)))
        ordered = sorted(t for n, t in by_node.items() if n in running)
        if len(ordered) >= need:
            times.append(round(ordered[need - 1] - first, 4))
    return times


UP_STATES = ("started", "restarted", "resumed", "joined", "attack started")


def up_intervals(records: list[Record]) -> dict[str, list[tuple[float, float]]]:
    """(from, to) run times during which each node was running, from `node_state` records."""
    intervals: dict[str, list[tuple[float, float]]] = defaultdict(list)
    since: dict[str, float] = {}
    for r in records:
        if r["kind"] != "node_state":
            continue
        node, t = r["node"], float(r["t"])
        if r["state"] in UP_STATES:
            since.setdefault(node, t)
        elif node in since:
            intervals[node].append((since.pop(node), t))
    for node, start in since.items():
        intervals[node].append((start, math.inf))
    return intervals


def partition_windows(records: list[Record]) -> list[tuple[float, float]]:
    """(start, end) run times of every partition; one still in force ends at infinity."""
    windows: list[tuple[float, float]] = []
    start: float | None = None
    for r in records:
        if r["kind"] != "partition":
            continue
        if r["state"] == "start" and start is None:
            start = float(r["t"])
        elif r["state"] == "end" and start is not None:
            windows.append((start, float(r["t"])))
            start = None
    if start is not None:
        windows.append((start, math.inf))
    return windows


def down_fraction_over_time(records: list[Record], total: int) -> float:
    """Largest share of nodes down at once, from `node_state` records (crash/pause/leave)."""
    down: set[str] = set()
    worst = 0
    for r in records:
        if r["kind"] != "node_state":
            continue
        if r["state"] in ("crashed", "paused", "stopped"):
            down.add(r["node"])
        else:
            down.discard(r["node"])
        worst = max(worst, len(down))
    return worst / total if total else 0.0


def sync_times(records: list[Record], honest: list[str]) -> dict[str, float | None]:
    """For each node that joined or restarted: seconds until it reached the height the rest had
    when it came up (None if it never did)."""
    result: dict[str, float | None] = {}
    latest: dict[str, int] = {}
    pending: dict[str, tuple[float, int]] = {}
    for r in records:
        if r["kind"] == "node_state" and r["state"] in ("joined", "restarted"):
            others = [h for n, h in latest.items() if n != r["node"] and n in honest]
            pending[r["node"]] = (float(r["t"]), max(others, default=0))
            result[r["node"]] = None
        elif r["kind"] == "sample":
            latest[r["node"]] = int(r["height"])
            goal = pending.get(r["node"])
            if goal is not None and int(r["height"]) >= goal[1]:
                result[r["node"]] = round(float(r["t"]) - goal[0], 3)
                del pending[r["node"]]
    return result


def convergence_after(records: list[Record], since: float, nodes: list[str]) -> float | None:
    """Seconds after `since` until every node in `nodes` last reported the same tip (None: never).

    Only nodes that were sampled after `since` count, so a crashed node does not block it.
    """
    latest: dict[str, str] = {}
    for r in records:
        if r["kind"] != "sample" or r["node"] not in nodes:
            continue
        if float(r["t"]) < since:
            continue
        latest[r["node"]] = r["tip"]
        if len(latest) == len(nodes) and len(set(latest.values())) == 1:
            return round(float(r["t"]) - since, 3)
    return None


def compute(
    records: list[Record],
    honest: list[str],
    all_nodes: list[str],
    submitted: set[str],
    load_window: tuple[float, float] | None,
    coverage: float = 0.9,
    miner_names: dict[str, str] | None = None,
) -> Metrics:
    m = Metrics(propagation_coverage=coverage)
    m.blocks = len({r["hash"] for r in records if r["kind"] == "block_seen"})
    final = [r for r in records if r["kind"] == "final_chain"]
    main_chain: set[str] = set()
    if final:
        chain = final[-1]
        m.final_height = chain["height"]
        m.final_tip = chain["tip"]
        main_chain = {b["hash"] for b in chain["blocks"]}
        confirmed = {txid for b in chain["blocks"] for txid in b["txids"]}
        m.txs_confirmed = len(confirmed & submitted)
        for b in chain["blocks"]:
            name = (miner_names or {}).get(b["miner"], b["miner"][:12])
            m.miners[name] = m.miners.get(name, 0) + 1
    m.txs_submitted = len(submitted)
    if load_window is not None and load_window[1] > load_window[0]:
        m.tps = round(m.txs_confirmed / (load_window[1] - load_window[0]), 2)
    m.propagation = block_propagation(records, main_chain, honest, coverage)
    reorgs = [r for r in records if r["kind"] == "reorg" and r["node"] in honest]
    m.reorg_count = len(reorgs)
    m.reorg_max_depth = max((int(r["depth"]) for r in reorgs), default=0)
    for r in records:
        if r["kind"] == "stats":
            m.memory[r["node"]] = max(m.memory.get(r["node"], 0), int(r["rss"]))
    m.sync_times = sync_times(records, honest)
    m.max_down_fraction = round(down_fraction_over_time(records, len(all_nodes)), 4)
    ends = [r for r in records if r["kind"] == "final_state"]
    if ends:
        m.converged = bool(ends[-1]["converged"])
    for r in records:
        if r["kind"] == "link_bytes":
            m.link_bytes = dict(r["bytes"])
    return m
