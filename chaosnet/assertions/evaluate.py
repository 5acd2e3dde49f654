"""Assertions checked against the run's measurements: each gives its measured value, its bound,
and pass/fail. A failed check is a result, never an exception (Chaos Toolkit's journal habit).
"""

from __future__ import annotations

from collections.abc import Callable

from chaosnet.assertions.attacks import ATTACK_EVALUATORS
from chaosnet.assertions.evidence import AssertionResult, Evidence
from chaosnet.observe.metrics import (
    block_propagation,
    convergence_after,
    percentile,
)
from chaosnet.scenario.model import Assertion


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
        since = ev.event_ends.get(after)  # once over: "after slow" from its start held at once
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


def _txs_confirmed(a: Assertion, ev: Evidence) -> AssertionResult:
    low = _num(a, "min")
    m = ev.metrics
    share = m.txs_confirmed / m.txs_submitted if m.txs_submitted else None
    passed = share is not None and share >= low
    detail = f"{m.txs_confirmed} of {m.txs_submitted} submitted transactions in the final chain"
    return AssertionResult(a.name, a.kind, passed, share, f">= {low:.0%}", detail)


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


def _memory(a: Assertion, ev: Evidence) -> AssertionResult:
    limit = _num(a, "max")
    if not ev.metrics.memory:
        return AssertionResult(
            a.name, a.kind, False, None, f"<= {limit / 2**20:.0f}MiB", "no samples"
        )
    node, peak = max(ev.metrics.memory.items(), key=lambda kv: kv[1])
    detail = f"peak RSS {peak / 2**20:.1f}MiB on {node}"
    if ev.shared_process:
        detail = (
            f"peak of the process's RSS / running nodes {peak / 2**20:.1f}MiB (all nodes share "
            "one process: an upper bound on the average node, not any one node's own)"
        )
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
    "txs_confirmed": _txs_confirmed,
    "propagation": _propagation,
    "sync_time": _sync_time,
    "max_reorg_depth": _max_reorg_depth,
    "no_invalid_blocks": _no_invalid_blocks,
    "memory": _memory,
    "survives_failures": _survives_failures,
    "height": _height,
    **ATTACK_EVALUATORS,
}

__all__ = ["AssertionResult", "Evidence", "evaluate", "unsupported"]


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
