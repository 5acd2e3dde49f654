"""One run of a scenario, as a sequence of phases: setup → start → load and timeline while
observing → settle → evaluate → cleanup (always, in `finally`, unless asked to keep the network).

The runner only strings the parts of `chaosnet.run` together; it never touches processes,
containers or Toxiproxy itself, only a `Backend` through `Network`. A timeline action the harness
could not apply ends the run at once with the verdict `error` (exit 2), never `pass` or `fail`: a
fault that did not happen says nothing about the network under test.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from chaosnet import httpclient
from chaosnet.assertions.evaluate import AssertionResult, Evidence, evaluate, unsupported
from chaosnet.backends.base import Backend, CpuLimiter, InProcess
from chaosnet.clock import REAL_CLOCK, Clock, SteppedClock, every
from chaosnet.errors import BackendError, ChaosnetError, HarnessFault, UsageError
from chaosnet.journal import Journal
from chaosnet.load.accounting import describe
from chaosnet.load.generator import LoadGenerator
from chaosnet.observe.metrics import Metrics
from chaosnet.observe.observer import NodeView, Observer
from chaosnet.plan import Plan
from chaosnet.run.hooks import Progress, RunHooks, call_safely
from chaosnet.run.live import LiveFeed
from chaosnet.run.network import Network, Skipped
from chaosnet.run.results import Outcome, RunSummary, measure
from chaosnet.run.schedule import Fire, Schedule, TimedOut
from chaosnet.run.settle import (
    record_final_chains,
    record_final_state,
    record_link_bytes,
    settle_budget,
    wait_for_agreement,
)
from chaosnet.scenario.model import Condition, Pause

__all__ = ["Progress", "RunHooks", "RunResult", "Runner", "new_run_dir"]

LOG_TAIL_LINES = 20
TIMELINE_TICK = 0.02  # seconds between looks at the schedule when nothing is due


@dataclass
class RunResult:
    run_dir: Path
    verdict: str
    exit_code: int
    results: dict[str, Any]
    assertions: list[AssertionResult] = field(default_factory=list)
    log_tails: dict[str, list[str]] = field(default_factory=dict)


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
    """`transport` lets tests answer the nodes' HTTP API in memory (httpx.MockTransport)."""

    def __init__(
        self,
        plan: Plan,
        backend: Backend,
        run_dir: Path,
        hooks: RunHooks | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.plan = plan
        self.backend = backend
        self.run_dir = run_dir
        self.hooks = hooks or RunHooks()
        self.clock: Clock = REAL_CLOCK
        if isinstance(backend, InProcess):  # a simulated world: its virtual time, its transport
            self.clock, transport = backend.clock, transport or backend.transport
        self.transport = transport
        self.journal = Journal(run_dir / "events.jsonl", self.clock)
        self.network = Network(plan, backend, self.journal, transport)
        self.schedule = Schedule(plan.events, plan.scenario.duration)
        self.observer = Observer(
            backend,
            self.journal,
            targets=self.network.running,
            on_sample=self._on_sample,
            transport=transport,
            parallel=not isinstance(self.clock, SteppedClock),
            block_txids=any(a.persona == "double-spend" for a in plan.scenario.attackers),
        )
        self.live = LiveFeed(plan, self.network, self.journal, backend, transport)
        self.load: LoadGenerator | None = None
        self.phase = "setup"
        self.metrics: Metrics | None = None
        self.invalid_chains: dict[str, str] = {}  # honest node → why its final chain is invalid

    # -- the phases -----------------------------------------------------------------------------

    def run(self, keep: bool = False) -> RunResult:
        missing = unsupported(self.plan.scenario.assertions)
        if missing:
            kinds = ", ".join(sorted({a.kind for a in missing}))
            raise UsageError(f"this version of chaosnet cannot evaluate assertion kinds: {kinds}")
        quotas = [e.id for e in self.plan.events if isinstance(e.action, Pause) and e.action.cpu]
        if quotas and not isinstance(self.backend, CpuLimiter):
            raise UsageError(  # `chaosnet run` says where first (refusals); sweeps come here
                f"--backend {self.backend.name} cannot give a node a CPU quota (timeline event "
                f"{quotas[0]}); run on docker, or slow the node's links only"
            )
        started_at = dt.datetime.now(dt.UTC).isoformat()
        outcome = Outcome("error", "the run did not finish")
        try:
            self._setup()
            self._start()
            self._drive_timeline()
            self._settle()
            outcome = self._evaluate()
        except KeyboardInterrupt:
            outcome = Outcome("interrupted", "interrupted by the user (Ctrl-C)")
        except BackendError as exc:
            outcome = Outcome("error", f"harness: {exc}")
        except ChaosnetError as exc:
            outcome = Outcome("error", str(exc))
        except Exception as exc:
            outcome = Outcome("error", f"chaosnet itself failed: {exc!r}")
            raise
        finally:
            try:
                tails = self._cleanup(keep, bundle=outcome.verdict != "pass")
            finally:
                results = self._write_results(started_at, outcome)
        return RunResult(
            self.run_dir, outcome.verdict, outcome.exit_code, results, outcome.assertions, tails
        )

    def _phase(self, phase: str) -> None:
        self.phase = phase
        self.journal.record("phase", phase=phase)
        call_safely(self.journal, self.hooks.on_phase, phase)

    def _setup(self) -> None:
        self._phase("setup")
        self.backend.setup(self.run_dir, self.plan.chain, list(self.plan.nodes))

    def _start(self) -> None:
        """Start every starting node; time zero is the moment the last of them answered. Miners
        begin once the links are set: before that the network is not yet the scenario's."""
        self._phase("start")
        began = self.journal.now()
        self.network.start_all()
        starting = self.journal.now() - began
        self.journal.start_clock()
        self.journal.record("nodes_up", seconds=round(starting, 4))
        self.network.mark_all_started()
        self.network.apply_link_defaults()
        self.network.start_mining_all()
        load = self.plan.scenario.load
        if load is not None and load.tps > 0:
            self.load = LoadGenerator(
                load,
                self.backend,
                self.journal,
                self._load_targets,
                self.plan.scenario.duration,
                transport=self.transport,
            )
        self._start_background()

    def _start_background(self) -> None:
        """Observer and load: threads on the host's clock, steps of a simulated world's clock."""
        clock = self.clock
        if not isinstance(clock, SteppedClock):
            self.observer.start()
            if self.load is not None:
                self.load.start()
            return
        clock.schedule(clock.now(), every(self.observer.interval, self._observe))
        if any(a.kind == "memory" for a in self.plan.scenario.assertions):
            # only then: a process's memory is the one figure of a simulated run the seed does
            # not decide, and the journal of every other run stays identical byte for byte
            clock.schedule(clock.now(), every(self.observer.stats_every, self._sample_stats))
        if self.load is not None:
            clock.schedule(clock.now(), self._load_step)

    def _observe(self) -> None:
        try:
            self.observer.poll_round()
        except Exception as exc:  # an observer never breaks a run
            self.journal.record("observer_error", error=repr(exc))

    def _sample_stats(self) -> None:
        try:
            self.observer.sample_stats()
        except Exception as exc:  # an observer never breaks a run
            self.journal.record("observer_error", error=f"stats: {exc!r}")

    def _load_step(self, now: float) -> float | None:
        """The load generator's sends due by now; the clock's time is run time plus an offset."""
        assert self.load is not None
        offset = now - self.journal.now()
        due = self.load.step(self.journal.now())
        return None if due is None else due + offset

    def _drive_timeline(self) -> None:
        """Fire each event when it is due, until the scenario's duration is over."""
        self._phase("timeline")
        try:
            self._timeline_loop()
        except BaseException:
            self.schedule.abandon("not reached: the run stopped first")
            raise
        self.schedule.abandon("the run ended first")

    def _timeline_loop(self) -> None:
        while True:
            now = self.journal.now()
            due = self.schedule.next_due(now, self._holds)
            if isinstance(due, Fire):
                self._fire(due)
            elif isinstance(due, TimedOut):
                self.journal.record("event", id=due.event.id, status="timeout", detail=due.reason)
            elif self.schedule.over(now):
                return
            else:
                self.clock.sleep(min(TIMELINE_TICK, self.schedule.duration - now))

    def _settle(self) -> None:
        """Wait (bounded) for the honest nodes to agree, then journal what they ended on."""
        self._phase("settle")
        self._stop_load()
        budget = settle_budget(self.plan.scenario)
        agreed = wait_for_agreement(
            self.observer, self.journal, self.network.running_honest, budget, self.clock.sleep
        )
        self.observer.poll_once()
        nodes = self.network.running_honest()
        record_final_state(self.observer, self.journal, nodes, agreed)
        views = self.observer.snapshot()
        with httpclient.client(self.transport, timeout=5.0) as client:
            self.invalid_chains = record_final_chains(
                httpclient.reader(client, self.transport),
                self.backend,
                self.journal,
                {n: views[n] for n in nodes if n in views},
                self.plan.chain,
            )
        record_link_bytes(self.backend, self.journal)

    def _evaluate(self) -> Outcome:
        self._phase("evaluate")
        records = self.journal.records()
        self.metrics = self._measure(records)
        ends = [r for r in records if r["kind"] == "final_state"]
        evidence = Evidence(
            metrics=self.metrics,
            records=records,
            honest=list(self.plan.honest),
            running_at_end=list(ends[-1]["running"]) if ends else [],
            event_ends=self.schedule.ends(),
            scenario_end=self.plan.scenario.duration,
            invalid_chains=self.invalid_chains,
            shared_process=self.backend.name == "sim",
        )
        assertions = [
            _with_load_accounting(a, self.load)
            for a in evaluate(self.plan.scenario.assertions, evidence)
        ]
        for a in assertions:
            self.journal.record("assertion", result=a.to_json())
        return Outcome("pass" if all(a.passed for a in assertions) else "fail", None, assertions)

    def _cleanup(self, keep: bool, bundle: bool) -> dict[str, list[str]]:
        """Stop load and observation, copy the logs, tear the backend down (unless `keep`)."""
        self._phase("cleanup")
        self._stop_load()
        self.observer.stop()
        tails = self._collect_logs(bundle)
        self.backend.teardown(keep=keep)
        return tails

    def _write_results(self, started_at: str, outcome: Outcome) -> dict[str, Any]:
        records = self.journal.records()
        summary = RunSummary(
            plan=self.plan,
            backend=self.backend.name,
            started_at=started_at,
            duration_s=self.journal.now(),
            outcome=outcome,
            metrics=self.metrics or self._measure(records),
            records=records,
            schedule=self.schedule,
            network=self.network,
            load=self.load,
        )
        results = summary.to_json()
        (self.run_dir / "results.json").write_text(json.dumps(results, indent=2))
        self.journal.close()
        return results

    # -- the timeline's steps -------------------------------------------------------------------

    def _fire(self, fire: Fire) -> None:
        """Apply one event and journal it; a harness failure is journalled, then ends the run."""
        event = fire.event
        started = self.journal.now()
        status, detail, fault = "done", None, None
        try:
            followup = self.network.apply(event.action)
        except Skipped as exc:
            status, detail = "skipped", str(exc)
        except HarnessFault as exc:
            status, detail, fault = "failed", str(exc), exc
        else:
            if followup is not None:
                self.schedule.follow(event, followup.suffix, followup.delay, followup.action)
        self.schedule.record(fire, started, self.journal.now(), status, detail)
        record = self.journal.record(
            "event",
            id=event.id,
            action=event.describe(),
            origin=event.origin,
            planned=fire.planned,
            actual=round(started, 4),
            drift_ms=round((started - fire.planned) * 1000, 1),
            status=status,
            detail=detail,
        )
        call_safely(self.journal, self.hooks.on_event, record)
        if fault is not None:
            raise HarnessFault(f"{fault} (event {event.id})") from fault

    def _holds(self, condition: Condition) -> bool:
        nodes = list(condition.nodes) or self.network.running_honest()
        if condition.height is not None and self.observer.min_height(nodes) < condition.height:
            return False
        return not condition.converged or self.observer.converged(nodes)

    # -- helpers --------------------------------------------------------------------------------

    def _measure(self, records: list[dict[str, Any]]) -> Metrics:
        metrics = measure(self.plan, records, self.load)
        if self.load is not None:
            self.load.note_confirmed(metrics.txs_confirmed)
        return metrics

    def _load_targets(self) -> list[str]:
        load = self.plan.scenario.load
        wanted = list(load.targets) if load and load.targets else list(self.plan.honest)
        return [n for n in wanted if self.network.is_running(n)]

    def _stop_load(self) -> None:
        if self.load is not None:
            self.load.stop()

    def _collect_logs(self, bundle: bool) -> dict[str, list[str]]:
        """Copy node logs into the run dir; on failure also return each log's last lines."""
        try:
            files = self.backend.collect_logs(self.run_dir / "logs")
        except Exception as exc:  # logs are evidence, never a reason to fail cleanup
            self.journal.record("observer_error", error=f"collect logs: {exc!r}")
            return {}
        if not bundle:
            return {}
        return {
            path.stem: path.read_text(errors="replace").splitlines()[-LOG_TAIL_LINES:]
            for path in files
            if path.stem in self.plan.node_names
        }

    def _on_sample(self, views: dict[str, NodeView]) -> None:
        progress = self.live.progress(views, self.phase)
        call_safely(self.journal, self.hooks.on_progress, progress)


def _with_load_accounting(result: AssertionResult, load: LoadGenerator | None) -> AssertionResult:
    """A throughput verdict names the whole path, offered → submitted → confirmed: load the
    generator could not send must never read as "all submitted transactions confirmed"."""
    if result.kind != "tps" or load is None:
        return result
    return dataclasses.replace(result, detail=describe(load.stats.to_json()))
