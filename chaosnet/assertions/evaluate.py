"""Assertions checked against the run's measurements: each gives its measured value, its bound,
and pass/fail. A failed check is a result, never an exception (Chaos Toolkit's journal habit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chaosnet.observe.metrics import (
    Metrics,
    Record,
    block_propagation,
    convergence_after,
    percentile,
)
from chaosnet.scenario.model import Assertion


@dataclass(frozen=True)
class AssertionResult:
    name: str
    kind: str
    passed: bool
    measured: float | int | str | None
    bound: str
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "passed": self.passed,
            "measured": self.measured,
            "bound": self.bound,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Evidence:
    """Everything an assertion may look at."""

    metrics: Metrics
    records: list[Record]
    honest: list[str]
    running_at_end: list[str]
    event_times: dict[str, float]  # event id → actual run time
    scenario_end: float  # run time at which the scenario's duration was over
    invalid_chains: dict[str, str]  # honest node → why its final chain is invalid


def _num(a: Assertion, key: str) -> float:
    value = a.param(key)
    assert isinstance(value, int | float), f"{a.kind}.{key} must be a number"
    return float(value)


def _fmt_s(seconds: float | None) -> str:
    return "never" if seconds is None else f"{seconds:.3g}s"


def _converge(a: Assertion, ev: Evidence) -> AssertionResult:
    within = _num(a, "within")
    after = a.param("after")
    if isinstance(after, str):
        since = ev.event_times.get(after)
        if since is None:
            return AssertionResult(
                a.name, a.kind, False, None, f"<= {within:g}s", f"event {after!r} never happened"
            )
    else:
        since = ev.scenario_end
    nodes = [n for n in ev.honest if n in ev.running_at_end]
    took = convergence_after(ev.records, since, nodes)
    passed = took is not None and took <= within
    where = f"after {after!r}" if isinstance(after, str) else "after the end of the scenario"
    detail = f"{len(nodes)} honest nodes on one tip {_fmt_s(took)} {where} (t={since:.1f}s)"
    return AssertionResult(a.name, a.kind, passed, took, f"<= {within:g}s", detail)


def _tps(a: Assertion, ev: Evidence) -> AssertionResult:
    low = _num(a, "min")
    m = ev.metrics
    passed = m.tps is not None and m.tps >= low
    detail = f"{m.txs_confirmed} of {m.txs_submitted} submitted transactions confirmed"
    return AssertionResult(a.name, a.kind, passed, m.tps, f">= {low:g}", detail)


def _propagation(a: Assertion, ev: Evidence) -> AssertionResult:
    coverage = float(a.param("coverage", 0.9) or 0.9)
    q = float(a.param("percentile", 90) or 90)
    limit = _num(a, "max")
    final = [r for r in ev.records if r["kind"] == "final_chain"]
    main = {b["hash"] for b in final[-1]["blocks"]} if final else set()
    times = block_propagation(ev.records, main, ev.honest, coverage)
    value = percentile(times, q)
    passed = value is not None and value <= limit
    detail = f"p{q:g} over {len(times)} blocks of the time to reach {coverage:.0%} of honest nodes"
    return AssertionResult(a.name, a.kind, passed, value, f"<= {limit:g}s", detail)


def _sync_time(a: Assertion, ev: Evidence) -> AssertionResult:
    node = str(a.param("node"))
    limit = _num(a, "max")
    took = ev.metrics.sync_times.get(node)
    passed = took is not None and took <= limit
    detail = f"{node} reached the network's height {_fmt_s(took)} after it came up"
    return AssertionResult(a.name, a.kind, passed, took, f"<= {limit:g}s", detail)


def _max_reorg_depth(a: Assertion, ev: Evidence) -> AssertionResult:
    limit = _num(a, "max")
    depth = ev.metrics.reorg_max_depth
    detail = f"{ev.metrics.reorg_count} reorgs on honest nodes"
    return AssertionResult(a.name, a.kind, depth <= limit, depth, f"<= {limit:g}", detail)


def _no_invalid_blocks(a: Assertion, ev: Evidence) -> AssertionResult:
    bad = ev.invalid_chains
    detail = "; ".join(f"{n}: {why}" for n, why in bad.items()) or (
        f"replayed the final chain of {len(ev.honest)} honest nodes through full validation"
    )
    return AssertionResult(a.name, a.kind, not bad, len(bad), "== 0 honest nodes", detail)


def _double_spend(a: Assertion, ev: Evidence) -> AssertionResult:
    """A payment the attacker made that reached `confirmations` and then left the honest chain.

    The attacker's own /status (persona_stats) names its payments and their confirmations; whether
    a payment survived is checked independently against the final honest chain.
    """
    z = int(_num(a, "confirmations"))
    confirmations: dict[str, int] = {}
    for r in ev.records:
        stats = r.get("persona") if r["kind"] == "sample" else None
        if isinstance(stats, dict) and stats.get("payment"):
            txid = str(stats["payment"])
            seen = int(stats.get("payment_confirmations") or 0)
            confirmations[txid] = max(confirmations.get(txid, 0), seen)
    final = [r for r in ev.records if r["kind"] == "final_chain"]
    in_chain = {t for b in final[-1]["blocks"] for t in b["txids"]} if final else set()
    deep = [t for t, c in confirmations.items() if c >= z]
    reversed_ = [t for t in deep if t not in in_chain]
    detail = (
        f"{len(confirmations)} attacker payments, {len(deep)} reached {z} confirmations, "
        f"{len(reversed_)} of those reversed in the final honest chain"
    )
    if not final:
        return AssertionResult(a.name, a.kind, False, None, "== 0 reversed", "no final chain")
    return AssertionResult(a.name, a.kind, not reversed_, len(reversed_), "== 0 reversed", detail)


def _attacker_share(a: Assertion, ev: Evidence) -> AssertionResult:
    attacker = str(a.param("attacker"))
    limit = _num(a, "max")
    total = sum(ev.metrics.miners.values())
    mined = ev.metrics.miners.get(attacker, 0)
    share = round(mined / total, 4) if total else 0.0
    detail = f"{attacker} mined {mined} of {total} blocks of the final chain"
    return AssertionResult(a.name, a.kind, share <= limit, share, f"<= {limit:.0%}", detail)


def _memory(a: Assertion, ev: Evidence) -> AssertionResult:
    limit = _num(a, "max")
    if not ev.metrics.memory:
        return AssertionResult(
            a.name, a.kind, False, None, f"<= {limit / 2**20:.0f}MiB", "no samples"
        )
    node, peak = max(ev.metrics.memory.items(), key=lambda kv: kv[1])
    detail = f"peak RSS {peak / 2**20:.1f}MiB on {node}"
    return AssertionResult(a.name, a.kind, peak <= limit, peak, f"<= {int(limit)} bytes", detail)


def _survives_failures(a: Assertion, ev: Evidence) -> AssertionResult:
    fraction = _num(a, "fraction")
    m = ev.metrics
    passed = m.max_down_fraction >= fraction and m.converged
    detail = (
        f"up to {m.max_down_fraction:.0%} of nodes down at once; honest nodes "
        f"{'converged' if m.converged else 'did NOT converge'} at the end (height {m.final_height})"
    )
    return AssertionResult(
        a.name, a.kind, passed, m.max_down_fraction, f">= {fraction:.0%} down and converged", detail
    )


def _height(a: Assertion, ev: Evidence) -> AssertionResult:
    low = _num(a, "min")
    h = ev.metrics.final_height
    passed = h is not None and h >= low
    return AssertionResult(a.name, a.kind, passed, h, f">= {low:g}", "height of the final chain")


EVALUATORS: dict[str, Callable[[Assertion, Evidence], AssertionResult]] = {
    "converge": _converge,
    "tps": _tps,
    "propagation": _propagation,
    "sync_time": _sync_time,
    "max_reorg_depth": _max_reorg_depth,
    "no_invalid_blocks": _no_invalid_blocks,
    "attacker_share": _attacker_share,
    "double_spend": _double_spend,
    "memory": _memory,
    "survives_failures": _survives_failures,
    "height": _height,
}


def unsupported(assertions: tuple[Assertion, ...]) -> list[Assertion]:
    """Assertions this version cannot measure yet: the runner refuses them before starting."""
    return [a for a in assertions if a.kind not in EVALUATORS]


def evaluate(assertions: tuple[Assertion, ...], evidence: Evidence) -> list[AssertionResult]:
    results = []
    for a in assertions:
        try:
            results.append(EVALUATORS[a.kind](a, evidence))
        except (AssertionError, KeyError, TypeError, ValueError) as exc:
            results.append(
                AssertionResult(a.name, a.kind, False, None, "?", f"cannot evaluate: {exc}")
            )
    return results
