"""Running `chaosnet` as a user does (a real subprocess) and reading what a run left behind.

`run_scenario` (and `run_ok`, which also wants a passing verdict) is the one way a test runs a
scenario: the expected exit code, results.json valid against its schema, and then `prove`: the
journal must show each fault happening and having its effect. A passing verdict alone only says
the assertions held; a partition that cut nothing, a crash that killed nothing or a slow node
whose links were never touched leave `converge` passing. What `prove` asks of a run (it reads
only the run directory, so it holds for every backend):

- every timeline event `done` (results.json `timeline`, and the journal's `event` records);
- a partition: honest nodes on at least two distinct tips for a sustained stretch while it was in
  force (journal `sample` records), and one tip again after it ended;
- a crash or pause: no block stamped by that node while it was down, then the node caught up
  with the height the others had when it came back (and, for restarts and joins, a sync time in
  results.json `metrics.sync_times`);
- a slow node with latency: blocks reach it at least half that latency later than the first node
  that saw them while the fault is in force, and on time again after it;
- the point of the scenario (`POINTS`, by name): the split, the nodes brought back, the slow node,
  the reorg depth it is about; so a copy with its fault swapped for a no-op fails.
"""

from __future__ import annotations

import io
import json
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import jsonschema
import psutil
from rich.console import Console

from chaosnet.backends.base import Backend
from chaosnet.observe.metrics import partition_windows as metric_windows
from chaosnet.report.junit import to_junit
from chaosnet.report.load import load_run
from chaosnet.report.terminal import print_verdict
from chaosnet.scenario import load_scenario_text
from chaosnet.scenario.model import Pause, Scenario
from tests.http_client import HTTP

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
RESULTS_SCHEMA = json.loads((REPO / "schemas" / "results.schema.json").read_text())


# A scenario run takes its duration plus 5-25 s here (median about 65 s for a 60 s scenario);
# the bound is a hang guard, 10x that, never a claim about speed.
RUN_TIMEOUT_S = 900


def chaosnet(
    *args: str, cwd: Path, timeout: float = RUN_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from chaosnet.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def start_mining(backend: Backend, *names: str) -> None:
    """What the runner does at time zero for a test that drives a backend itself: the backends
    start miners held (`node_args`), and each begins on `POST /mining/start`."""
    for name in names:
        answer = HTTP.post(f"{backend.endpoint(name).url}/mining/start", timeout=5)
        assert answer.json()["mining"] is True, f"{name} does not mine: {answer.text}"


def only_run_dir(out: Path) -> Path:
    runs = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(runs) == 1, runs
    return runs[0]


def results_of(run_dir: Path) -> dict[str, Any]:
    results = dict(json.loads((run_dir / "results.json").read_text()))
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results


@dataclass(frozen=True)
class Ran:
    """A finished `chaosnet run`: the process, its run directory, results and the proof."""

    proc: subprocess.CompletedProcess[str]
    dir: Path
    results: dict[str, Any]
    proof: Proof


Cli = Callable[..., subprocess.CompletedProcess[str]]
"""How a test invokes `chaosnet`: `chaosnet` above, or the same command line in-process."""


def run_scenario(
    scenario: str | Path,
    out: Path,
    *extra: str,
    exit_codes: tuple[int, ...] = (0,),
    cli: Cli = chaosnet,
) -> Ran:
    """Run a scenario (a name under scenarios/ or a path) into `out`; the exit code must be one of
    `exit_codes` and the run must show each of its faults and their effects (`prove`)."""
    path = scenario if isinstance(scenario, Path) else SCENARIOS / scenario
    proc = cli("run", str(path), "--out", str(out), *extra, cwd=out)
    run_dir = only_run_dir(out)
    results = results_of(run_dir)
    failed = [a for a in results["assertions"] if not a["passed"]]
    assert proc.returncode in exit_codes, (
        f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}\nfailed: {failed}"
    )
    assert_renders(run_dir)
    return Ran(proc, run_dir, results, assert_proved(run_dir))


def assert_renders(run_dir: Path) -> None:
    """What `chaosnet report` shows of the run: it reads whole, and renders as text, JSON and
    JUnit; the run itself wrote its report.html and junit.xml."""
    run = load_run(run_dir)
    assert run.complete, run.problems
    assert run.results is not None
    text = io.StringIO()
    print_verdict(Console(file=text, width=160), run.results, run_dir)
    assert run.results["verdict"].upper() in text.getvalue().upper()
    json.dumps(run.results)
    ElementTree.fromstring(to_junit(run.results))
    for written in ("report.html", "junit.xml"):
        assert (run_dir / written).stat().st_size > 0, f"{run_dir} has no {written}"


def run_ok(scenario: str | Path, out: Path, *extra: str, cli: Cli = chaosnet) -> dict[str, Any]:
    """Run a scenario to a passing verdict that its journal backs up; return results.json."""
    ran = run_scenario(scenario, out, *extra, cli=cli)
    assert ran.results["verdict"] == "pass"
    return ran.results


def honest_control(scenario: str, dest: Path) -> Path:
    """A copy of an attack scenario whose attackers run the reference behaviour (`persona:
    honest`) with the same hashrate and place: the run that shows its assertions can fail."""
    text = (SCENARIOS / scenario).read_text(encoding="utf-8")
    control, count = re.subn(r"persona: [a-z-]+", "persona: honest", text)
    assert count, f"{scenario} has no attacker to make honest"
    path = dest / f"honest-{Path(scenario).name}"
    path.write_text(control, encoding="utf-8")
    return path


def assert_proved(run_dir: Path) -> Proof:
    """The run shows every fault and its effect (see the module docstring), or fail naming
    what is missing."""
    proof = prove(FinishedRun.read(run_dir))
    assert not proof.gaps, f"the run at {run_dir} does not show what it claims:\n{proof}"
    print(f"evidence from {run_dir.name}:\n{proof}")
    return proof


def processes_started_for(run_dir: Path) -> list[psutil.Process]:
    """Every live process whose command line mentions the run directory (the nodes)."""
    alive = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(str(run_dir) in part for part in proc.info["cmdline"] or []):
                alive.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return alive


def wait_for_phase(parent: Path, phase: str, timeout: float) -> Path:
    """The run directory under `parent` once its journal shows `phase`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for run_dir in parent.iterdir():
            events = run_dir / "events.jsonl"
            if events.exists() and f'"phase": "{phase}"' in events.read_text():
                return run_dir
        time.sleep(0.2)
    raise AssertionError(f"no run under {parent} reached phase {phase} within {timeout}s")


# -- evidence of faults and their effects ----------------------------------------------------------

Record = dict[str, Any]

# A split must last this long (or half the partition, if shorter) to count: block propagation
# alone leaves nodes on different tips for well under a second on these links.
SPLIT_MIN_S = 5.0
# A node's last answer speaks for it this long (the observer asks twice a second).
FRESH_S = 1.5
# Seconds after a node goes down before its own block stamps must stop (a poll in flight).
DOWN_GRACE_S = 0.5
DOWN_STATES = ("crashed", "paused")
UP_STATES = ("restarted", "resumed", "joined")


@dataclass(frozen=True)
class Point:
    """What a scenario is for, beyond its assertions: checked by its name, so a copy with its
    fault replaced by something harmless fails."""

    split_then_one_tip: bool = False  # a partition seen splitting the honest nodes, then healed
    synced: tuple[str, ...] = ()  # nodes that must have gone down and caught up again
    slowed: tuple[str, ...] = ()  # nodes whose blocks must have arrived late
    min_reorg_depth: int = 0


POINTS: dict[str, Point] = {
    "partition-heal": Point(split_then_one_tip=True),
    # 30% of the hashrate mines alone for 30 s at a block a second: about 9 blocks to undo
    "deep-reorg": Point(split_then_one_tip=True, min_reorg_depth=5),
    # two miners a second apart on 400 ms links: competing blocks, one-block reorgs
    "natural-fork": Point(min_reorg_depth=1),
    "crash-restart": Point(synced=("n2", "n3", "n4")),
    "partial-sync": Point(synced=("n4",)),
    "fresh-sync": Point(synced=("n4",)),
    "slow-node": Point(slowed=("n4",)),
}


@dataclass
class Proof:
    facts: list[str] = field(default_factory=list)
    gaps: list[str] = field(default_factory=list)
    healed_splits: int = 0  # partitions that split the honest nodes and ended on one tip
    synced: set[str] = field(default_factory=set)  # nodes that were down (or joined), caught up
    slowed: set[str] = field(default_factory=set)  # slow nodes whose blocks arrived late
    deepest_reorg: int = 0

    def __str__(self) -> str:
        lines = [f"  seen: {f}" for f in self.facts] + [f"  MISSING: {g}" for g in self.gaps]
        return "\n".join(lines)


@dataclass(frozen=True)
class FinishedRun:
    """A run directory: results.json, the journal and the scenario it ran (from replay.json)."""

    dir: Path
    results: dict[str, Any]
    journal: list[Record]
    scenario: Scenario

    @classmethod
    def read(cls, run_dir: Path) -> FinishedRun:
        results = json.loads((run_dir / "results.json").read_text())
        lines = (run_dir / "events.jsonl").read_text().splitlines()
        replay = json.loads((run_dir / "replay.json").read_text())
        scenario = load_scenario_text(replay["scenario_text"], replay.get("scenario_file") or "")
        return cls(run_dir, results, [json.loads(line) for line in lines if line], scenario)

    @property
    def honest(self) -> list[str]:
        return [n for n, info in self.results["nodes"].items() if info["role"] != "attacker"]

    def records(self, *kinds: str) -> list[Record]:
        return [r for r in self.journal if r["kind"] in kinds]

    def end(self) -> float:
        return float(self.results["duration_s"])


def prove(run: FinishedRun) -> Proof:
    """Every fault's evidence and the scenario's point, as facts seen and gaps found."""
    proof = Proof()
    _events_done(run, proof)
    _partitions(run, proof)
    _downtimes(run, proof)
    _slow_nodes(run, proof)
    _reorgs(run, proof)
    _point(POINTS.get(run.scenario.name, Point()), run.scenario.name, proof)
    return proof


def _events_done(run: FinishedRun, proof: Proof) -> None:
    timeline = run.results["timeline"]
    for event in timeline:
        if event["status"] != "done":
            detail = f": {event['detail']}" if event.get("detail") else ""
            proof.gaps.append(
                f"timeline event {event['id']} ({event['action']}) is {event['status']}{detail}"
            )
    journalled = {r["id"]: r["status"] for r in run.records("event") if "action" in r}
    for event in timeline:
        if event["status"] == "done" and journalled.get(event["id"]) != "done":
            proof.gaps.append(f"timeline event {event['id']} is done in results.json only")
    done = [e for e in timeline if e["status"] == "done"]
    if done:
        proof.facts.append(f"{len(done)} of {len(timeline)} timeline events done")


def _partitions(run: FinishedRun, proof: Proof) -> None:
    samples = run.records("sample")
    for start, end in partition_windows(run.journal, run.end()):
        need = min(SPLIT_MIN_S, (end - start) / 2)
        split = longest_split(samples, run.honest, start, end)
        if split < need:
            proof.gaps.append(
                f"partition {start:.1f}-{end:.1f}s: honest nodes were on two or more tips for "
                f"at most {split:.1f}s in a row (a split shows for at least {need:.1f}s)"
            )
            continue
        proof.facts.append(f"partition {start:.1f}-{end:.1f}s: honest nodes split for {split:.1f}s")
        if end >= run.end():
            continue
        after = one_tip_after(samples, run.honest, end)
        if after is None:
            proof.gaps.append(f"after the heal at {end:.1f}s honest nodes never shared a tip")
        else:
            proof.facts.append(f"one tip again {after:.1f}s after the heal")
            proof.healed_splits += 1


def _downtimes(run: FinishedRun, proof: Proof) -> None:
    samples, sightings = run.records("sample"), run.records("block_seen")
    sync_times = run.results["metrics"].get("sync_times") or {}
    for node, down, up, how in down_then_up(run.journal):
        if down is not None:
            quiet = (down + DOWN_GRACE_S, down + ((up or run.end()) - down) / 2)
            stamped = [
                float(r["seen_t"])
                for r in sightings
                if r["node"] == node and quiet[0] < float(r["seen_t"]) < quiet[1]
            ]
            if stamped:
                proof.gaps.append(
                    f"{node} was reported down at {down:.1f}s but saw blocks at "
                    f"{', '.join(f'{t:.1f}s' for t in stamped)}"
                )
                continue
            until = "the end" if up is None else f"{up:.1f}s"
            proof.facts.append(f"{node} down {down:.1f}s-{until}: it stamped no block meanwhile")
        if up is None:
            continue
        caught = catch_up(samples, run.honest, node, up)
        if caught is None:
            proof.gaps.append(f"{node} {how} at {up:.1f}s and never caught up")
            continue
        proof.facts.append(f"{node} {how} at {up:.1f}s, caught up in {caught:.1f}s")
        if how in ("restarted", "joined") and sync_times.get(node) is None:
            proof.gaps.append(f"{node} {how} but results.json has no sync time for it")
            continue
        proof.synced.add(node)


def _slow_nodes(run: FinishedRun, proof: Proof) -> None:
    timeline = {e["id"]: e for e in run.results["timeline"]}
    for index, event in enumerate(run.scenario.timeline):
        action = event.action
        if not isinstance(action, Pause) or action.slow is None:
            continue
        event_id = event.name or f"#{index}"
        start = timeline.get(event_id, {}).get("actual_s")
        if start is None:
            continue  # not fired: _events_done reports it
        end = timeline.get(f"{event_id}.resume", {}).get("actual_s") or run.end()
        latency, node = action.slow.latency, action.node
        if not latency:
            proof.facts.append(f"{node} slowed {start:.1f}-{end:.1f}s (no latency to time)")
            continue
        lags = arrival_lags(run.records("block_seen"), node, start + DOWN_GRACE_S, end)
        if not lags:
            proof.gaps.append(f"{node} slow {start:.1f}-{end:.1f}s: no block reached it then")
            continue
        lag = statistics.median(lags)
        shown = f"blocks reached {node} a median {lag:.2f}s late ({len(lags)} blocks)"
        if lag < latency / 2:
            proof.gaps.append(f"{shown}: less than half the {latency:g}s latency it was given")
            continue
        proof.facts.append(f"{shown} under {latency:g}s of latency")
        after = arrival_lags(run.records("block_seen"), node, end + DOWN_GRACE_S, run.end())
        if after and statistics.median(after) >= latency / 2:
            proof.gaps.append(
                f"{node} still slow after its slow spell ended at {end:.1f}s: blocks a median "
                f"{statistics.median(after):.2f}s late"
            )
            continue
        if after:
            proof.facts.append(f"then a median {statistics.median(after):.2f}s late again")
        proof.slowed.add(node)


def _reorgs(run: FinishedRun, proof: Proof) -> None:
    honest = set(run.honest)
    depths = [int(r["depth"]) for r in run.records("reorg") if r["node"] in honest]
    proof.deepest_reorg = max(depths, default=0)
    if depths:
        proof.facts.append(f"{len(depths)} reorgs, the deepest {proof.deepest_reorg} blocks")


def _point(point: Point, name: str, proof: Proof) -> None:
    if point.split_then_one_tip and not proof.healed_splits:
        proof.gaps.append(f"{name} is about a split that heals: no partition split and healed")
    missing = sorted(set(point.synced) - proof.synced)
    if missing:
        proof.gaps.append(f"{name} is about nodes coming back: {', '.join(missing)} did not")
    missing = sorted(set(point.slowed) - proof.slowed)
    if missing:
        proof.gaps.append(f"{name} is about a slow node: {', '.join(missing)} was not slowed")
    if proof.deepest_reorg < point.min_reorg_depth:
        proof.gaps.append(
            f"{name} is about reorgs of depth >= {point.min_reorg_depth}; "
            f"the deepest was {proof.deepest_reorg}"
        )


# -- measurements over journal records ---------------------------------------------------------


def partition_windows(journal: Iterable[Record], run_end: float) -> list[tuple[float, float]]:
    """(start, end) of each partition from the journal; one never healed ends with the run."""
    return [(start, min(end, run_end)) for start, end in metric_windows(list(journal))]


def longest_split(samples: list[Record], nodes: list[str], start: float, end: float) -> float:
    """Longest stretch within [start, end] during which the nodes answering at the time (sampled
    in the last `FRESH_S`; a crashed node keeps no vote) did not all report the same tip."""
    latest: dict[str, tuple[float, str]] = {}
    since: float | None = None
    longest = 0.0
    for r in samples:
        t = float(r["t"])
        if r["node"] not in nodes or t < start:
            continue
        if t > end:
            break
        latest[r["node"]] = (t, r["tip"])
        tips = {tip for seen, tip in latest.values() if seen >= t - FRESH_S}
        if len(tips) > 1:
            since = t if since is None else since
        elif since is not None:
            longest, since = max(longest, t - since), None
    if since is not None:
        longest = max(longest, end - since)
    return longest


def one_tip_after(samples: list[Record], nodes: list[str], since: float) -> float | None:
    """Seconds after `since` until every node sampled after it reported the same tip."""
    latest: dict[str, str] = {}
    sampled = {r["node"] for r in samples if r["node"] in nodes and float(r["t"]) >= since}
    for r in samples:
        if r["node"] not in sampled or float(r["t"]) < since:
            continue
        latest[r["node"]] = r["tip"]
        if len(latest) == len(sampled) and len(set(latest.values())) == 1:
            return float(r["t"]) - since
    return None


def down_then_up(journal: Iterable[Record]) -> list[tuple[str, float | None, float | None, str]]:
    """(node, went down, came back, how) for every crash or pause and for every join; a node that
    never came back has `came back` None, a join has `went down` None."""
    spells: list[tuple[str, float | None, float | None, str]] = []
    down_at: dict[str, float] = {}
    for r in journal:
        if r["kind"] != "node_state":
            continue
        node, state, t = r["node"], r["state"], float(r["t"])
        if state in DOWN_STATES:
            down_at[node] = t
        elif state in UP_STATES and (node in down_at or state == "joined"):
            spells.append((node, down_at.pop(node, None), t, state))
    spells.extend((node, t, None, "down") for node, t in down_at.items())
    return spells


def catch_up(samples: list[Record], honest: list[str], node: str, since: float) -> float | None:
    """Seconds after `since` until `node` reported the height the other honest nodes had then."""
    others: dict[str, int] = {}
    goal: int | None = None
    for r in samples:
        t = float(r["t"])
        if goal is None and t >= since:
            goal = max(others.values(), default=0)
        if goal is None:
            if r["node"] != node and r["node"] in honest:
                others[r["node"]] = int(r["height"])
            continue
        if r["node"] == node and int(r["height"]) >= goal:
            return t - since
    return None


def arrival_lags(block_seen: list[Record], node: str, start: float, end: float) -> list[float]:
    """For blocks first seen by another node within [start, end] and relayed to `node`: how much
    later `node` saw each of them."""
    seen: dict[str, dict[str, Record]] = {}
    for r in block_seen:
        seen.setdefault(r["hash"], {}).setdefault(r["node"], r)
    lags = []
    for by_node in seen.values():
        mine = by_node.get(node)
        elsewhere = [float(r["seen_t"]) for n, r in by_node.items() if n != node]
        if mine is None or mine.get("source") == "mined" or not elsewhere:
            continue
        first = min(elsewhere)
        if start <= first <= end:
            lags.append(float(mine["seen_t"]) - first)
    return lags
