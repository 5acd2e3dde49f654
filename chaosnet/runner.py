"""One run of a scenario, as a sequence of phases: setup → start → load and timeline while
observing → settle → evaluate → cleanup (always, in `finally`, unless asked to keep the network).

The runner only talks to a `Backend`; it never touches processes, containers or Toxiproxy itself.
Observers of a run (the terminal progress display) hang off `RunHooks` and can never break it.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from chaosnet import __version__
from chaosnet.assertions.evaluate import AssertionResult, Evidence, evaluate, unsupported
from chaosnet.backends.base import Backend, CpuLimiter
from chaosnet.errors import ChaosnetError, UsageError
from chaosnet.journal import Journal
from chaosnet.load.generator import LoadGenerator
from chaosnet.observe import metrics as metrics_mod
from chaosnet.observe.chain import fetch_chain, replay
from chaosnet.observe.observer import Observer
from chaosnet.plan import (
    CutLinks,
    Pair,
    Plan,
    PlannedAction,
    PlannedEvent,
    Resume,
    SetLinks,
    describe_trigger,
    merge_links,
    to_fault,
)
from chaosnet.scenario.model import (
    After,
    At,
    AttackStart,
    AttackStop,
    Condition,
    Crash,
    Heal,
    Join,
    Leave,
    LinkChange,
    LinkSettings,
    Pause,
    Restart,
    When,
)
from chaosnet.specs import LinkFault
from reference_node.core.keys import address_of, miner_key

EXIT_PASS, EXIT_FAIL, EXIT_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
SETTLE_DEFAULT = 30.0  # seconds the runner waits at the end for honest nodes to agree
LOG_TAIL_LINES = 20


@dataclass
class Progress:
    elapsed: float
    total: float
    heights: dict[str, int | None]
    faults: list[str]
    pending_assertions: int
    phase: str


class RunHooks:
    """No-op observers of a run; the CLI overrides what it displays."""

    def on_phase(self, phase: str) -> None: ...

    def on_progress(self, progress: Progress) -> None: ...

    def on_event(self, record: dict[str, Any]) -> None: ...


@dataclass
class RunResult:
    run_dir: Path
    verdict: str
    exit_code: int
    results: dict[str, Any]
    assertions: list[AssertionResult] = field(default_factory=list)
    log_tails: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class _TimelineState:
    fired: dict[str, float] = field(default_factory=dict)
    status: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    armed_at: dict[str, float] = field(default_factory=dict)
    cut: set[Pair] = field(default_factory=set)
    link_now: dict[Pair, LinkFault] = field(default_factory=dict)
    faults: dict[str, str] = field(default_factory=dict)  # what is in force, for progress
    followups: list[PlannedEvent] = field(default_factory=list)
    slowed: set[str] = field(default_factory=set)


def new_run_dir(out: Path, name: str) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = out / f"{stamp}-{name}"
    suffix = 1
    while run_dir.exists():
        suffix += 1
        run_dir = out / f"{stamp}-{name}-{suffix}"
    run_dir.mkdir(parents=True)
    return run_dir


class Runner:
    def __init__(
        self, plan: Plan, backend: Backend, run_dir: Path, hooks: RunHooks | None = None
    ) -> None:
        self.plan = plan
        self.backend = backend
        self.run_dir = run_dir
        self.hooks = hooks or RunHooks()
        self.journal = Journal(run_dir / "events.jsonl")
        self.observer = Observer(
            backend, self.journal, targets=self._running, on_sample=self._sample_hook
        )
        self.load: LoadGenerator | None = None
        self.timeline = _TimelineState()
        self.down: set[str] = set()
        self.started: set[str] = set()
        self.phase = "setup"
        self.invalid_chains: dict[str, str] = {}  # honest node → why its final chain is invalid

    # -- the phases -----------------------------------------------------------------------------

    def run(self, keep: bool = False) -> RunResult:
        scenario = self.plan.scenario
        missing = unsupported(scenario.assertions)
        if missing:
            kinds = ", ".join(sorted({a.kind for a in missing}))
            raise UsageError(f"this version of chaosnet cannot evaluate assertion kinds: {kinds}")
        started_at = dt.datetime.now(dt.UTC).isoformat()
        verdict, error = "error", None
        assertions: list[AssertionResult] = []
        try:
            self._phase("setup")
            self.backend.setup(self.run_dir, self.plan.chain, list(self.plan.nodes))
            self._phase("start")
            self._start_nodes()
            self._apply_link_defaults()
            self.observer.start()
            self._start_load()
            self._phase("timeline")
            self._run_timeline()
            self._phase("settle")
            self._stop_load()
            self._settle()
            self._phase("evaluate")
            assertions = self._evaluate()
            verdict = "pass" if all(a.passed for a in assertions) else "fail"
        except KeyboardInterrupt:
            verdict, error = "interrupted", "interrupted by the user (Ctrl-C)"
        except ChaosnetError as exc:
            verdict, error = "error", str(exc)
        finally:
            self._phase("cleanup")
            self._stop_load()
            self.observer.stop()
            tails = self._collect_logs(bundle=verdict != "pass")
            try:
                self.backend.teardown(keep=keep)
            finally:
                results = self._results(started_at, verdict, error, assertions)
                (self.run_dir / "results.json").write_text(json.dumps(results, indent=2))
                self.journal.close()
        return RunResult(self.run_dir, verdict, results["exit_code"], results, assertions, tails)

    def _phase(self, phase: str) -> None:
        self.phase = phase
        self.journal.record("phase", phase=phase)
        self._safe(self.hooks.on_phase, phase)

    def _start_nodes(self) -> None:
        """Start every starting node; time zero is the moment the last of them answered."""
        self.backend.start_nodes(list(self.plan.starting))
        self.journal.start_clock()
        for name in self.plan.starting:
            self.started.add(name)
            self.journal.record("node_state", node=name, state="started")

    def _apply_link_defaults(self) -> None:
        for pair, fault in self.plan.link_defaults.items():
            if fault != LinkFault():
                self.backend.set_link(pair[0], pair[1], fault)
            self.timeline.link_now[pair] = fault

    def _start_load(self) -> None:
        load = self.plan.scenario.load
        if load is None or load.tps <= 0:
            return
        self.load = LoadGenerator(
            load, self.backend, self.journal, self._load_targets, self.plan.scenario.duration
        )
        self.load.start()

    def _stop_load(self) -> None:
        if self.load is not None:
            self.load.stop()

    def _load_targets(self) -> list[str]:
        load = self.plan.scenario.load
        wanted = list(load.targets) if load and load.targets else list(self.plan.honest)
        return [n for n in wanted if n in self.started and n not in self.down]

    def _running(self) -> list[str]:
        return [n for n in self.plan.node_names if n in self.started and n not in self.down]

    def running_honest(self) -> list[str]:
        return [n for n in self.plan.honest if n in self.started and n not in self.down]

    # -- the timeline ---------------------------------------------------------------------------

    def _run_timeline(self) -> None:
        """Fire the scenario's events in list order, each after the one above it (a `when` is
        watched from the moment its predecessor fired); events drawn by chaos and follow-ups
        (a restart after a crash, the end of a pause) run alongside on their own clocks."""
        duration = self.plan.scenario.duration
        main = [e for e in self.plan.events if e.origin == "timeline"]
        side = [e for e in self.plan.events if e.origin != "timeline"]
        next_main, previous_fired = 0, 0.0
        while True:
            now = self.journal.now()
            side.extend(self.timeline.followups)
            self.timeline.followups.clear()
            fired_any = False
            while next_main < len(main):
                due = self._due(main[next_main], now, previous_fired)
                if due is None:
                    break
                if due != "timeout":
                    self._fire(main[next_main], planned=due)
                    fired_any = True
                next_main += 1
                previous_fired = self.journal.now()
            for event in list(side):
                due = self._due(event, now, previous_fired)
                if due is not None:
                    side.remove(event)
                    if due != "timeout":
                        self._fire(event, planned=due)
                        fired_any = True
            if now >= duration:
                for event in main[next_main:] + side:
                    self.timeline.status.setdefault(event.id, ("pending", "the run ended first"))
                return
            if not fired_any:
                time.sleep(min(0.02, max(0.0, duration - now)))

    def _due(self, event: PlannedEvent, now: float, previous_fired: float) -> Any:
        """Planned time if the event should fire now, "timeout" if it never will, else None."""
        trigger = event.trigger
        if isinstance(trigger, At):
            return trigger.seconds if now >= trigger.seconds else None
        if isinstance(trigger, After):
            base = self.timeline.fired.get(trigger.event)
            if base is None:
                return None
            return base + trigger.delay if now >= base + trigger.delay else None
        assert isinstance(trigger, When)
        armed = self.timeline.armed_at.setdefault(event.id, previous_fired)
        if self._condition_holds(trigger.condition):
            return None if now < armed else now
        if now - armed > trigger.timeout:
            reason = f"condition not met within {trigger.timeout:g}s"
            self.timeline.status[event.id] = ("timeout", reason)
            self.journal.record("event", id=event.id, status="timeout", detail=reason)
            return "timeout"
        return None

    def _condition_holds(self, condition: Condition) -> bool:
        nodes = list(condition.nodes) or self.running_honest()
        if condition.height is not None and self.observer.min_height(nodes) < condition.height:
            return False
        return not condition.converged or self.observer.converged(nodes)

    def _fire(self, event: PlannedEvent, planned: float | None) -> None:
        actual = self.journal.now()
        try:
            self._apply(event, event.action)
            status, detail = "done", None
        except _Skipped as exc:
            status, detail = "skipped", str(exc)
        except ChaosnetError as exc:
            status, detail = "failed", str(exc)
        self.timeline.fired[event.id] = actual
        self.timeline.status[event.id] = (status, detail)
        drift = None if planned is None else round((actual - planned) * 1000, 1)
        record = self.journal.record(
            "event",
            id=event.id,
            action=event.describe(),
            origin=event.origin,
            planned=planned,
            actual=round(actual, 4),
            drift_ms=drift,
            status=status,
            detail=detail,
        )
        self._safe(self.hooks.on_event, record)

    def _apply(self, event: PlannedEvent, action: PlannedAction) -> None:
        b, tl = self.backend, self.timeline
        match action:
            case CutLinks(pairs=pairs, label=label):
                for a, c in pairs:
                    if (a, c) not in tl.cut:
                        b.set_link_enabled(a, c, False)
                        b.set_link_enabled(c, a, False)
                        tl.cut.add((a, c))
                tl.faults["partition"] = label
                self.journal.record("partition", state="start", label=label)
            case Heal():
                for a, c in sorted(tl.cut):
                    b.set_link_enabled(a, c, True)
                    b.set_link_enabled(c, a, True)
                tl.cut.clear()
                tl.faults.pop("partition", None)
                self.journal.record("partition", state="end")
            case LinkChange(nodes=nodes, settings=settings, reset=reset):
                for pair in self._links_touching(nodes):
                    base = self.plan.link_defaults[pair]
                    fault = base if reset else _merge_fault(tl.link_now.get(pair, base), settings)
                    self._set_link(pair, fault)
                if reset:
                    tl.faults.pop("links", None)
                else:
                    tl.faults["links"] = f"links of {','.join(nodes) or 'all'} changed"
            case SetLinks(links=links):
                for pair, chosen in links:
                    base = self.plan.link_defaults[pair]
                    self._set_link(pair, base if chosen is None else _merge_fault(base, chosen))
                restored = all(c is None for _, c in links)
                if restored:
                    tl.faults.pop("chaos loss", None)
                else:
                    tl.faults["chaos loss"] = f"lossy links ({len(links)})"
            case Crash(node=node, restart_after=after):
                if node in self.down:
                    raise _Skipped(f"{node} is already down")
                b.kill_node(node)
                self._mark_down(node, "crashed")
                if after:
                    self._follow(event, "restart", after, Restart(node))
            case Restart(node=node):
                if node not in self.down:
                    raise _Skipped(f"{node} is already running")
                b.start_node(node)
                self._mark_up(node, "restarted")
            case Pause(node=node, duration=duration, slow=slow, cpu=cpu):
                if slow is not None or cpu is not None:
                    self._slow_down(node, slow, cpu)
                else:
                    b.pause_node(node)
                    self._mark_down(node, "paused")
                if duration:
                    self._follow(event, "resume", duration, Resume(node))
            case Resume(node=node):
                if node in tl.slowed:
                    self._slow_down(node, None, None)
                else:
                    b.resume_node(node)
                    self._mark_up(node, "resumed")
            case Join(node=node):
                b.start_node(node)
                self._mark_up(node, "joined")
            case Leave(node=node):
                b.stop_node(node)
                self._mark_down(node, "stopped")
            case AttackStart(attacker=name):
                b.start_node(name)
                self._mark_up(name, "attack started")
            case AttackStop(attacker=name):
                b.stop_node(name)
                self._mark_down(name, "attack stopped")
            case _:  # Chaos and Wait only anchor other events
                pass

    def _slow_down(self, node: str, slow: LinkSettings | None, cpu: float | None) -> None:
        """Slow a node (latency/bandwidth on its links, a CPU quota where the backend has one);
        with neither argument, give it back its normal links and CPU."""
        restore = slow is None and cpu is None
        for pair in self._links_touching((node,)):
            if restore:
                self._set_link(pair, self.plan.link_defaults[pair])
            elif slow is not None:
                self._set_link(pair, _merge_fault(self.timeline.link_now[pair], slow))
        if isinstance(self.backend, CpuLimiter) and (cpu is not None or restore):
            self.backend.set_cpu(node, cpu)
        if restore:
            self.timeline.slowed.discard(node)
            self.timeline.faults.pop(f"slow {node}", None)
        else:
            self.timeline.slowed.add(node)
            self.timeline.faults[f"slow {node}"] = f"{node} slow"

    def _follow(
        self, event: PlannedEvent, suffix: str, delay: float, action: PlannedAction
    ) -> None:
        self.timeline.followups.append(
            PlannedEvent(f"{event.id}.{suffix}", After(event.id, delay), action, event.origin)
        )

    def _links_touching(self, nodes: tuple[str, ...]) -> list[Pair]:
        pairs = self.plan.link_defaults.keys()
        return [p for p in pairs if not nodes or p[0] in nodes or p[1] in nodes]

    def _set_link(self, pair: Pair, fault: LinkFault) -> None:
        self.backend.set_link(pair[0], pair[1], fault)
        self.timeline.link_now[pair] = fault

    def _mark_down(self, node: str, state: str) -> None:
        self.down.add(node)
        self.timeline.faults[f"down {node}"] = f"{node} {state}"
        self.journal.record("node_state", node=node, state=state)

    def _mark_up(self, node: str, state: str) -> None:
        self.started.add(node)  # a node that joins or whose attack starts runs from now on
        self.down.discard(node)
        self.timeline.faults.pop(f"down {node}", None)
        self.journal.record("node_state", node=node, state=state)

    # -- the end --------------------------------------------------------------------------------

    def _settle(self) -> None:
        """Wait (bounded) for the honest nodes to agree, so convergence can be measured."""
        budget = max(
            [
                float(a.param("within") or 0)
                for a in self.plan.scenario.assertions
                if a.kind == "converge"
            ]
            + [SETTLE_DEFAULT if not self.plan.scenario.assertions else 0.0, 5.0]
        )
        end = self.journal.now() + budget
        while self.journal.now() < end:
            nodes = self.running_honest()
            if nodes and self.observer.converged(nodes, fresh_after=self.journal.now() - 1.0):
                break
            time.sleep(0.25)
        self.observer.poll_once()
        nodes = self.running_honest()
        views = self.observer.snapshot()
        self.journal.record(
            "final_state",
            converged=self.observer.converged(nodes),
            running=nodes,
            tips={n: views[n].tip for n in nodes if n in views},
            heights={n: views[n].height for n in nodes if n in views},
        )
        self._record_final_chains(nodes)
        try:
            self.journal.record(
                "link_bytes",
                bytes={f"{a}->{c}": v for (a, c), v in self.backend.link_bytes().items()},
            )
        except ChaosnetError as exc:
            self.journal.record("observer_error", error=f"link bytes: {exc}")

    def _record_final_chains(self, nodes: list[str]) -> None:
        """Fetch and re-validate each honest node's chain; journal the best one with its txids."""
        views = self.observer.snapshot()
        best: tuple[int, str] | None = None
        by_tip: dict[str, list[Any]] = {}
        with httpx.Client(timeout=5.0) as client:
            for name in nodes:
                view = views.get(name)
                if view is None:
                    continue
                if view.tip not in by_tip:
                    try:
                        blocks = fetch_chain(client, self.backend.endpoint(name).url, view.height)
                    except (httpx.HTTPError, ValueError, KeyError) as exc:
                        self.journal.record("observer_error", error=f"fetch chain of {name}: {exc}")
                        continue
                    by_tip[view.tip] = blocks
                    why = replay(blocks, self.plan.chain)
                    if why is not None:
                        self.invalid_chains[name] = why
                if best is None or view.total_work > best[0]:
                    best = (view.total_work, view.tip)
        if best is None or best[1] not in by_tip:
            return
        blocks = by_tip[best[1]]
        self.journal.record(
            "final_chain",
            tip=best[1],
            height=len(blocks),
            blocks=[
                {"hash": bl.hash, "miner": bl.header.miner, "txids": [t.txid for t in bl.txs]}
                for bl in blocks
            ],
        )

    def _evaluate(self) -> list[AssertionResult]:
        records = self.journal.records()
        metrics = self._metrics(records)
        ends = [r for r in records if r["kind"] == "final_state"]
        evidence = Evidence(
            metrics=metrics,
            records=records,
            honest=list(self.plan.honest),
            running_at_end=list(ends[-1]["running"]) if ends else [],
            event_times=dict(self.timeline.fired),
            scenario_end=self.plan.scenario.duration,
            invalid_chains=self.invalid_chains,
        )
        results = evaluate(self.plan.scenario.assertions, evidence)
        for r in results:
            self.journal.record("assertion", result=r.to_json())
        return results

    def _metrics(self, records: list[dict[str, Any]]) -> metrics_mod.Metrics:
        miner_names = {address_of(miner_key(n)): n for n in self.plan.node_names}
        return metrics_mod.compute(
            records,
            honest=list(self.plan.honest),
            all_nodes=list(self.plan.node_names),
            submitted=set(self.load.txids) if self.load else set(),
            load_window=self.load.window if self.load else None,
            miner_names=miner_names,
        )

    def _collect_logs(self, bundle: bool) -> dict[str, list[str]]:
        """Copy node logs into the run dir; on failure also return each log's last lines."""
        try:
            files = self.backend.collect_logs(self.run_dir / "logs")
        except Exception as exc:  # logs are evidence, never a reason to fail cleanup
            self.journal.record("observer_error", error=f"collect logs: {exc!r}")
            return {}
        if not bundle:
            return {}
        tails = {}
        for path in (f for f in files if f.stem in self.plan.node_names):
            lines = path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            tails[path.stem] = lines
        return tails

    def _results(
        self,
        started_at: str,
        verdict: str,
        error: str | None,
        assertions: list[AssertionResult],
    ) -> dict[str, Any]:
        records = self.journal.records()
        m = self._metrics(records)
        exit_code = {"pass": EXIT_PASS, "fail": EXIT_FAIL, "interrupted": EXIT_INTERRUPTED}.get(
            verdict, EXIT_ERROR
        )
        samples: dict[str, dict[str, Any]] = {}
        for r in records:
            if r["kind"] == "sample":
                samples[r["node"]] = r
        scenario = self.plan.scenario
        return {
            "chaosnet_version": __version__,
            "scenario": {
                "name": scenario.name,
                "file": str(scenario.source) if scenario.source else None,
                "description": scenario.description,
            },
            "seed": self.plan.seed,
            "schedule_digest": self.plan.schedule_digest(),
            "backend": self.backend.name,
            "verdict": verdict,
            "exit_code": exit_code,
            "error": error,
            "started_at": started_at,
            "duration_s": round(self.journal.now(), 3),
            "timeline": self._timeline_results(records),
            "assertions": [a.to_json() for a in assertions],
            "metrics": {
                "blocks": m.blocks,
                "final_height": m.final_height,
                "converged": m.converged,
                "convergence": m.convergence,
                "tps": m.tps,
                "txs_submitted": m.txs_submitted,
                "txs_confirmed": m.txs_confirmed,
                "propagation": m.propagation_summary(),
                "reorgs": {"count": m.reorg_count, "max_depth": m.reorg_max_depth},
                "sync_times": m.sync_times,
                "memory": m.memory,
                "max_down_fraction": m.max_down_fraction,
                "link_bytes": m.link_bytes,
                "load": self.load.stats.to_json() if self.load else None,
            },
            "nodes": {
                n.name: {
                    "role": n.role.value,
                    "height": samples.get(n.name, {}).get("height"),
                    "tip": samples.get(n.name, {}).get("tip"),
                    "running": n.name in self.started and n.name not in self.down,
                    "rss_max": m.memory.get(n.name),
                }
                for n in scenario.nodes
            },
        }

    def _timeline_results(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fired = {r["id"]: r for r in records if r["kind"] == "event" and "action" in r}
        out = []
        events = list(self.plan.events) + [
            _FollowupView(r["id"], r["action"], r["origin"])
            for r in fired.values()
            if r["id"] not in {e.id for e in self.plan.events}
        ]
        for e in events:
            r = fired.get(e.id)
            status, detail = self.timeline.status.get(e.id, ("pending", None))
            out.append(
                {
                    "id": e.id,
                    "action": e.describe(),
                    "trigger": describe_trigger(e.trigger) if isinstance(e, PlannedEvent) else None,
                    "origin": e.origin,
                    "planned_s": r["planned"] if r else _planned(e),
                    "actual_s": r["actual"] if r else None,
                    "drift_ms": r["drift_ms"] if r else None,
                    "status": status,
                    "detail": detail,
                }
            )
        return out

    # -- hooks ----------------------------------------------------------------------------------

    def _sample_hook(self, views: dict[str, Any]) -> None:
        heights = {
            n: (views[n].height if n in views and n not in self.down else None)
            for n in self.plan.node_names
        }
        progress = Progress(
            elapsed=self.journal.now(),
            total=self.plan.scenario.duration,
            heights=heights,
            faults=list(self.timeline.faults.values()),
            pending_assertions=len(self.plan.scenario.assertions),
            phase=self.phase,
        )
        self._safe(self.hooks.on_progress, progress)

    def _safe(self, hook: Callable[..., None], *args: Any) -> None:
        try:
            hook(*args)
        except Exception as exc:
            self.journal.record("observer_error", error=f"hook {hook!r}: {exc!r}")


class _Skipped(Exception):
    """An event that makes no sense in the network's current state (crash a node already down)."""


@dataclass(frozen=True)
class _FollowupView:
    id: str
    action: str
    origin: str

    def describe(self) -> str:
        return self.action


def _planned(event: PlannedEvent | _FollowupView) -> float | None:
    trigger = getattr(event, "trigger", None)
    return trigger.seconds if isinstance(trigger, At) else None


def _merge_fault(base: LinkFault, settings: LinkSettings) -> LinkFault:
    current = LinkSettings(
        latency=base.latency_ms / 1000,
        jitter=base.jitter_ms / 1000,
        loss=base.loss,
        bandwidth=base.bandwidth_kbps * 1024 if base.bandwidth_kbps else None,
    )
    return to_fault(merge_links(current, settings))
