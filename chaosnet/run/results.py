"""What a run concluded: metrics computed once from the journal, and `results.json` built from them.

The same `Metrics` feed the assertions and the results file, so the two can never disagree.
The shape of `results.json` is a contract: schemas/results.schema.json.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaosnet import __version__
from chaosnet.assertions.evaluate import AssertionResult
from chaosnet.load.generator import LoadGenerator
from chaosnet.observe.attacks import compute_attacks
from chaosnet.observe.metrics import Metrics, Record, compute
from chaosnet.plan import Plan, PlannedEvent, describe_trigger
from chaosnet.run.network import Network
from chaosnet.run.schedule import Schedule
from chaosnet.scenario.model import At
from reference_node.core.keys import address_of, miner_key

EXIT_CODES = {"pass": 0, "fail": 1, "error": 2, "interrupted": 130}


@dataclass(frozen=True)
class Outcome:
    """The verdict and why: `error` says what went wrong when the verdict is error/interrupted."""

    verdict: str
    error: str | None = None
    assertions: list[AssertionResult] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]


def measure(plan: Plan, records: list[Record], load: LoadGenerator | None) -> Metrics:
    """The run-wide metrics, from the journal and what the load generator submitted."""
    miner_names = {address_of(miner_key(n)): n for n in plan.node_names}
    metrics = compute(
        records,
        honest=list(plan.honest),
        all_nodes=list(plan.node_names),
        submitted=set(load.txids) if load else set(),
        load_window=load.window if load else None,
        miner_names=miner_names,
    )
    if plan.scenario.attackers:
        metrics.attacks = compute_attacks(records, plan.scenario, list(plan.honest), miner_names)
    return metrics


@dataclass(frozen=True)
class RunSummary:
    """Everything results.json says, gathered at the end of a run."""

    plan: Plan
    backend: str
    started_at: str
    duration_s: float
    outcome: Outcome
    metrics: Metrics
    records: list[Record]
    schedule: Schedule
    network: Network
    load: LoadGenerator | None

    def to_json(self) -> dict[str, Any]:
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
            "backend": self.backend,
            "verdict": self.outcome.verdict,
            "exit_code": self.outcome.exit_code,
            "error": self.outcome.error,
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "timeline": timeline_entries(self.plan, self.schedule, self.records),
            "assertions": [a.to_json() for a in self.outcome.assertions],
            "metrics": self._metrics_json(),
            "nodes": self._nodes_json(),
        }

    def _metrics_json(self) -> dict[str, Any]:
        m = self.metrics
        return {
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
            "attacks": m.attacks.to_json() if m.attacks else None,
        }

    def _nodes_json(self) -> dict[str, Any]:
        last_sample = {r["node"]: r for r in self.records if r["kind"] == "sample"}
        return {
            n.name: {
                "role": n.role.value,
                "height": last_sample.get(n.name, {}).get("height"),
                "tip": last_sample.get(n.name, {}).get("tip"),
                "running": self.network.is_running(n.name),
                "rss_max": self.metrics.memory.get(n.name),
            }
            for n in self.plan.scenario.nodes
        }


def timeline_entries(plan: Plan, schedule: Schedule, records: list[Record]) -> list[dict[str, Any]]:
    """Every planned event and every follow-up, with when it fired and what became of it."""
    fired = {r["id"]: r for r in records if r["kind"] == "event" and "action" in r}
    planned_ids = {e.id for e in plan.events}
    entries = []
    for event in [*plan.events, *schedule.followups]:
        r = fired.get(event.id)
        status, detail = schedule.status.get(event.id, ("pending", None))
        entries.append(
            {
                "id": event.id,
                "action": event.describe(),
                "trigger": describe_trigger(event.trigger) if event.id in planned_ids else None,
                "origin": event.origin,
                "planned_s": r["planned"] if r else _planned_at(event),
                "actual_s": r["actual"] if r else None,
                "drift_ms": r["drift_ms"] if r else None,
                "status": status,
                "detail": detail,
            }
        )
    return entries


def _planned_at(event: PlannedEvent) -> float | None:
    return event.trigger.seconds if isinstance(event.trigger, At) else None
