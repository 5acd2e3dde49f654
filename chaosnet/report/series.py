"""Time series and tables for the report's plots, drawn from journal records alone (pure).

Every function takes `events.jsonl` records (see `chaosnet/journal.py`) and returns plain data;
`plots.py` draws it, so what a plot shows can be tested without drawing it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from chaosnet.load.generator import send_offsets
from chaosnet.observe.metrics import Record, block_propagation
from chaosnet.scenario.model import Load

DOWN_STATES = {"crashed": "crash", "paused": "pause", "stopped": "stopped"}
UP_STATES = {"started", "restarted", "resumed", "joined", "attack started"}


@dataclass(frozen=True)
class Band:
    """A fault in force from `start` to `end` (run seconds), drawn as a shaded band."""

    kind: str  # partition | crash | pause | stopped | slow | attack
    label: str
    start: float
    end: float
    node: str | None = None


def run_end(records: list[Record]) -> float:
    return max((float(r["t"]) for r in records), default=0.0)


def heights_by_node(records: list[Record]) -> dict[str, list[tuple[float, float]]]:
    """Each node's height where it changed (a step plot needs no more), NaN while it was down so
    the line breaks, and its last sample so the line reaches the end."""
    series: dict[str, list[tuple[float, float]]] = defaultdict(list)
    last: dict[str, tuple[float, float]] = {}
    for r in records:
        node = str(r.get("node"))
        if r["kind"] == "node_state" and r.get("state") in DOWN_STATES and node in last:
            series[node].append((float(r["t"]), math.nan))
            last[node] = (float(r["t"]), math.nan)
        elif r["kind"] == "sample":
            point = (float(r["t"]), float(r["height"]))
            previous = last.get(node)
            if previous is None or previous[1] != point[1]:  # NaN != anything: a restart shows
                if previous is not None and series[node][-1] != previous:
                    series[node].append(previous)  # close the flat stretch
                series[node].append(point)
            last[node] = point
    for node, point in last.items():
        if series[node][-1] != point:
            series[node].append(point)
    return dict(sorted(series.items(), key=lambda kv: _natural(kv[0])))


def memory_by_node(records: list[Record]) -> dict[str, list[tuple[float, int]]]:
    series: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for r in records:
        if r["kind"] == "stats" and "rss" in r:
            series[str(r["node"])].append((float(r["t"]), int(r["rss"])))
    return dict(sorted(series.items()))


def reorg_marks(records: list[Record]) -> list[tuple[float, str, int]]:
    """(run time, node, depth) of every reorganisation a node reported."""
    return [
        (float(r.get("seen_t") or r["t"]), str(r["node"]), int(r["depth"]))
        for r in records
        if r["kind"] == "reorg"
    ]


def fault_bands(records: list[Record], end: float, attackers: set[str]) -> list[Band]:
    """Partitions, nodes down (crash, pause, stop), slowed nodes and attack windows.

    A fault still in force when the journal ends is drawn to `end`.
    """
    bands: list[Band] = []
    partition: tuple[float, str] | None = None
    down: dict[str, tuple[float, str]] = {}
    attacking: dict[str, float] = {}
    slowed: dict[str, tuple[float, str]] = {}
    for r in records:
        t, kind = float(r["t"]), r["kind"]
        if kind == "partition":
            if r.get("state") == "start" and partition is None:
                partition = (t, f"partition {r.get('label', '')}".strip())
            elif r.get("state") == "end" and partition is not None:
                bands.append(Band("partition", partition[1], partition[0], t))
                partition = None
        elif kind == "node_state":
            node, state = str(r["node"]), str(r["state"])
            if state in DOWN_STATES or state == "attack stopped":
                if node in attacking:
                    bands.append(Band("attack", f"{node} attacking", attacking.pop(node), t, node))
                if state in DOWN_STATES:
                    down.setdefault(node, (t, DOWN_STATES[state]))
            elif state in UP_STATES:
                if node in down:
                    since, what = down.pop(node)
                    bands.append(Band(what, f"{node} {what}", since, t, node))
                if node in attackers:
                    attacking.setdefault(node, t)
        elif kind == "event" and r.get("status") == "done":
            # slowing has no record of its own: the event's action text says `slow node=…`
            # (plan.describe_action; `pause node=…, slow=…` in runs before 2026-11-30) and its
            # follow-up `resume node=…`
            action = str(r.get("action", ""))
            node = _node_of(action) or ""
            old_text = action.startswith("pause") and ("slow=" in action or "cpu=" in action)
            if node and (action.startswith("slow ") or old_text):
                slowed.setdefault(node, (t, f"{node} slow"))
            elif node and action.startswith("resume") and node in slowed:
                since, label = slowed.pop(node)
                bands.append(Band("slow", label, since, t, node))
    if partition is not None:
        bands.append(Band("partition", partition[1], partition[0], end))
    bands += [Band(what, f"{n} {what}", s, end, n) for n, (s, what) in down.items()]
    bands += [Band("attack", f"{n} attacking", s, end, n) for n, s in attacking.items()]
    bands += [Band("slow", label, s, end, n) for n, (s, label) in slowed.items()]
    return sorted(bands, key=lambda b: (b.start, b.kind))


def _node_of(action: str) -> str | None:
    for part in action.replace(",", " ").split():
        if part.startswith("node="):
            return part.removeprefix("node=")
    return None


def event_marks(records: list[Record]) -> list[tuple[float, str]]:
    """(run time, id) of every timeline event that fired."""
    return [
        (float(r["actual"]), str(r["id"]))
        for r in records
        if r["kind"] == "event" and r.get("actual") is not None and r.get("status") == "done"
    ]


def main_chain(records: list[Record]) -> list[Record]:
    finals = [r for r in records if r["kind"] == "final_chain"]
    return list(finals[-1].get("blocks") or []) if finals else []


def propagation_times(records: list[Record], nodes: list[str], coverage: float) -> list[float]:
    """Per main-chain block, seconds until `coverage` of `nodes` had it (as the metrics count)."""
    chain = {str(b["hash"]) for b in main_chain(records)}
    return sorted(block_propagation(records, chain, nodes, coverage))


def first_seen(records: list[Record]) -> dict[str, float]:
    seen: dict[str, float] = {}
    for r in records:
        if r["kind"] == "block_seen":
            t = float(r.get("seen_t") or r["t"])
            seen[str(r["hash"])] = min(t, seen.get(str(r["hash"]), math.inf))
    return seen


def confirmed_tps(records: list[Record], bin_s: float) -> list[tuple[float, float]]:
    """Transactions of the final chain per second, binned by when their block first appeared."""
    seen = first_seen(records)
    counts: dict[int, int] = defaultdict(int)
    for block in main_chain(records):
        t = seen.get(str(block["hash"]))
        if t is not None and t >= 0:
            counts[int(t // bin_s)] += len(block.get("txids") or [])
    end = run_end(records)
    bins = range(int(end // bin_s) + 1)
    return [((k + 0.5) * bin_s, counts.get(k, 0) / bin_s) for k in bins]


def offered_tps(load: Load, run_duration: float, bin_s: float) -> list[tuple[float, float]]:
    """What the load generator was told to send per second, binned like `confirmed_tps`."""
    duration = load.duration or max(0.0, run_duration - load.start)
    counts: dict[int, int] = defaultdict(int)
    for offset in send_offsets(load, duration):
        counts[int((load.start + offset) // bin_s)] += 1
    bins = range(int(run_duration // bin_s) + 1)
    return [((k + 0.5) * bin_s, counts.get(k, 0) / bin_s) for k in bins]


def link_matrix(link_bytes: dict[str, int]) -> tuple[list[str], list[list[int | None]]]:
    """Node names and bytes[from][to] for every directed link `a->b` (None: no such link)."""
    pairs = [(key.split("->", 1), value) for key, value in link_bytes.items() if "->" in key]
    names = sorted({n for (a, b), _ in pairs for n in (a, b)}, key=_natural)
    index = {n: i for i, n in enumerate(names)}
    matrix: list[list[int | None]] = [[None] * len(names) for _ in names]
    for (a, b), value in pairs:
        matrix[index[a]][index[b]] = int(value)
    return names, matrix


def _natural(name: str) -> tuple[str, int]:
    digits = name.rstrip("0123456789")
    tail = name[len(digits) :]
    return (digits, int(tail) if tail else -1)


def distinct_tips(records: list[Record], nodes: list[str]) -> list[tuple[float, int]]:
    """(run time, how many different tips the running `nodes` reported): above 1 is a fork."""
    tips: dict[str, str] = {}
    points: list[tuple[float, int]] = []
    for r in records:
        node = r.get("node")
        if r["kind"] == "node_state" and node in tips and r.get("state") in DOWN_STATES:
            del tips[node]
        elif r["kind"] == "sample" and node in nodes:
            tips[str(node)] = str(r["tip"])
            count = len(set(tips.values()))
            if not points or points[-1][1] != count:
                points.append((float(r["t"]), count))
    if points:
        points.append((run_end(records), points[-1][1]))
    return points
