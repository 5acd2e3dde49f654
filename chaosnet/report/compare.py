"""Two runs side by side: every metric and assertion of run A against run B, each judged better,
worse or unchanged in the direction that metric improves (more TPS is better, less propagation
time is better). A change counts only when it passes the relative tolerance *and* the metric's
noise floor (`slack`), so two runs of the same seed compare unchanged.

Pure: takes two `results.json` documents, returns a `Comparison`; the CLI renders it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    NEUTRAL = "neither"


class Outcome(StrEnum):
    BETTER = "better"
    WORSE = "worse"
    UNCHANGED = "unchanged"
    CHANGED = "changed"  # an informational metric moved: never a regression
    MISSING = "missing"  # only one run has it


@dataclass(frozen=True)
class MetricSpec:
    """Where a metric lives in results.json's `metrics`, which way is better, and its noise floor
    (an absolute change at or below `slack` is never a change)."""

    path: tuple[str, ...]
    direction: Direction
    slack: float = 0.0
    unit: str = ""

    @property
    def name(self) -> str:
        return ".".join(self.path)


MIB = 2**20
PROPAGATION_SLACK_S = 0.5
METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(("tps",), Direction.HIGHER, 0.5, "tx/s"),
    MetricSpec(("txs_confirmed",), Direction.HIGHER, 5),
    MetricSpec(("txs_submitted",), Direction.NEUTRAL),
    MetricSpec(("final_height",), Direction.NEUTRAL),
    MetricSpec(("blocks",), Direction.NEUTRAL),
    MetricSpec(("converged",), Direction.HIGHER),
    # two runs of one seed on a busy 2-core machine differed by up to 0.3 s at p90 (0.6 s at p99):
    # CPU scheduling, not the network, sets the floor of what a propagation change means
    MetricSpec(("propagation", "p50"), Direction.LOWER, PROPAGATION_SLACK_S, "s"),
    MetricSpec(("propagation", "p90"), Direction.LOWER, PROPAGATION_SLACK_S, "s"),
    MetricSpec(("propagation", "p99"), Direction.LOWER, 2 * PROPAGATION_SLACK_S, "s"),
    MetricSpec(("reorgs", "count"), Direction.LOWER, 2),
    MetricSpec(("reorgs", "max_depth"), Direction.LOWER, 1),
    MetricSpec(("max_down_fraction",), Direction.NEUTRAL),
    MetricSpec(("load", "late"), Direction.LOWER, 5),
    MetricSpec(("load", "rejected"), Direction.LOWER, 5),
    MetricSpec(("load", "unreachable"), Direction.LOWER, 5),
)
PER_NODE: tuple[tuple[str, Direction, float, str], ...] = (
    ("memory", Direction.LOWER, 16 * MIB, "bytes"),
    ("sync_times", Direction.LOWER, 0.5, "s"),
)


@dataclass(frozen=True)
class Row:
    name: str
    a: Any
    b: Any
    direction: Direction
    outcome: Outcome
    change: float | None  # (b - a) / |a|; None when not numeric or a is 0
    section: str = "metric"  # metric | assertion

    @property
    def regressed(self) -> bool:
        return self.outcome is Outcome.WORSE


@dataclass(frozen=True)
class Comparison:
    a_name: str
    b_name: str
    tolerance: float
    rows: tuple[Row, ...]
    notes: tuple[str, ...]

    @property
    def regressions(self) -> list[Row]:
        return [r for r in self.rows if r.regressed]

    @property
    def exit_code(self) -> int:
        return 1 if self.regressions else 0


class DifferentScenarios(Exception):
    """The two runs ran different scenarios: their numbers do not compare."""


def compare(a: dict[str, Any], b: dict[str, Any], tolerance: float) -> Comparison:
    name_a, name_b = a["scenario"]["name"], b["scenario"]["name"]
    if name_a != name_b:
        raise DifferentScenarios(
            f"the runs ran different scenarios ({name_a!r} and {name_b!r}); compare runs of one scenario"
        )
    notes = []
    if a.get("seed") != b.get("seed"):
        notes.append(
            f"different seeds ({a.get('seed')} and {b.get('seed')}): topology and faults differ"
        )
    elif a.get("schedule_digest") != b.get("schedule_digest"):
        notes.append("same seed but different fault schedules (different chaosnet versions?)")
    if a.get("backend") != b.get("backend"):
        notes.append(f"different backends ({a.get('backend')} and {b.get('backend')})")
    rows = [_verdict_row(a, b)]
    rows += [_metric_row(spec, a["metrics"], b["metrics"], tolerance) for spec in _specs(a, b)]
    rows += _assertion_rows(a["assertions"], b["assertions"], tolerance)
    return Comparison(name_a, name_b, tolerance, tuple(rows), tuple(notes))


def _specs(a: dict[str, Any], b: dict[str, Any]) -> list[MetricSpec]:
    specs = list(METRICS)
    for group, direction, slack, unit in PER_NODE:
        nodes = set(a["metrics"].get(group) or {}) | set(b["metrics"].get(group) or {})
        specs += [MetricSpec((group, n), direction, slack, unit) for n in sorted(nodes)]
    return specs


def _lookup(metrics: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = metrics
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def judge(a: Any, b: Any, direction: Direction, tolerance: float, slack: float) -> Outcome:
    """Better, worse or unchanged, for one pair of values."""
    if a is None and b is None:
        return Outcome.UNCHANGED
    if a is None or b is None:
        return Outcome.MISSING
    if isinstance(a, bool) or isinstance(b, bool):
        if a == b:
            return Outcome.UNCHANGED
        if direction is Direction.NEUTRAL:
            return Outcome.CHANGED
        return Outcome.BETTER if (b > a) == (direction is Direction.HIGHER) else Outcome.WORSE
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return Outcome.UNCHANGED if a == b else Outcome.CHANGED
    delta = float(b) - float(a)
    if abs(delta) <= slack or abs(delta) <= tolerance * abs(float(a)):
        return Outcome.UNCHANGED
    if direction is Direction.NEUTRAL:
        return Outcome.CHANGED
    return Outcome.BETTER if (delta > 0) == (direction is Direction.HIGHER) else Outcome.WORSE


def _change(a: Any, b: Any) -> float | None:
    numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    if not numeric or a == 0 or not math.isfinite(float(a)):
        return None
    return (float(b) - float(a)) / abs(float(a))


def _metric_row(spec: MetricSpec, a: dict[str, Any], b: dict[str, Any], tol: float) -> Row:
    va, vb = _lookup(a, spec.path), _lookup(b, spec.path)
    outcome = judge(va, vb, spec.direction, tol, spec.slack)
    return Row(spec.name, va, vb, spec.direction, outcome, _change(va, vb))


def _verdict_row(a: dict[str, Any], b: dict[str, Any]) -> Row:
    rank = {"pass": 2, "fail": 1}
    va, vb = a.get("verdict"), b.get("verdict")
    ra, rb = rank.get(str(va), 0), rank.get(str(vb), 0)
    outcome = Outcome.UNCHANGED if ra == rb else Outcome.BETTER if rb > ra else Outcome.WORSE
    return Row("verdict", va, vb, Direction.HIGHER, outcome, None, "assertion")


def assertion_direction(bound: str) -> Direction:
    """An assertion's bound says which way is better: `<= 2s` lower, `>= 10` higher."""
    text = bound.strip()
    if text.startswith(("<", "==")):
        return Direction.LOWER
    if text.startswith(">"):
        return Direction.HIGHER
    return Direction.NEUTRAL


ASSERTION_SLACK = {  # noise floor of each assertion kind's measured value
    "converge": 1.0,  # seconds; the observer samples twice a second
    "propagation": PROPAGATION_SLACK_S,
    "sync_time": 0.5,
    "tps": 0.5,
    "memory": 16 * MIB,
    "attacker_share": 0.05,
    "max_reorg_depth": 1,
}


def _assertion_rows(a: list[dict[str, Any]], b: list[dict[str, Any]], tol: float) -> list[Row]:
    """Pass to fail is always worse; between two passes (or two fails) the measured values are
    judged like metrics, in the direction the bound points."""
    only_b = {y["name"]: y for y in b}
    rows = []
    for x in a:
        y = only_b.pop(x["name"], None)
        if y is None:
            rows.append(_lone(x["name"], x.get("measured"), None))
            continue
        direction = assertion_direction(str(x.get("bound", "")))
        va, vb = x.get("measured"), y.get("measured")
        if x["passed"] != y["passed"]:
            outcome = Outcome.BETTER if y["passed"] else Outcome.WORSE
        else:
            slack = ASSERTION_SLACK.get(str(x.get("kind")), 0.0)
            outcome = judge(va, vb, direction, tol, slack)
        rows.append(Row(x["name"], va, vb, direction, outcome, _change(va, vb), "assertion"))
    rows += [_lone(y["name"], None, y.get("measured")) for y in only_b.values()]
    return rows


def _lone(name: str, a: Any, b: Any) -> Row:
    return Row(name, a, b, Direction.NEUTRAL, Outcome.MISSING, None, "assertion")
