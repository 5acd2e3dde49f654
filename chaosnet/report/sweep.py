"""Sweep directories: one scenario run over a grid of parameter values, several trials per point.

The format (documented in docs/running.md, "Sweep directories") is `sweep.json`:

    {"format": "chaosnet-sweep/v1", "scenario": {"name", "file"}, "parameters": ["hashrate"],
     "points": [{"parameters": {"hashrate": 0.3}, "trials": 5, "runs": ["runs/…", …],
                 "metrics": {"attacker_share": {"mean": 0.31, "ci95": [0.27, 0.35], "n": 5,
                                                "expected": 0.30}}}],
     "theory": {"attacker_share": "what `expected` is, in words"}}

plus `sweep.csv` with one row per point and metric. This module reads and checks `sweep.json`
(a malformed one is a `UsageError` naming the field) and writes `sweep.csv`; rendering lives in
`html.py` (page) and `console.py` (terminal).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaosnet.errors import UsageError

SWEEP_FORMAT = "chaosnet-sweep/v1"
CSV_COLUMNS = ("metric", "mean", "ci95_low", "ci95_high", "n", "expected")


@dataclass(frozen=True)
class Estimate:
    mean: float
    low: float
    high: float
    n: int
    expected: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "mean": round(self.mean, 6),
            "ci95": [round(self.low, 6), round(self.high, 6)],
            "n": self.n,
            "expected": None if self.expected is None else round(self.expected, 6),
        }

    @classmethod
    def from_json(cls, m: dict[str, Any]) -> Estimate:
        low, high = (float(v) for v in m["ci95"])
        expected = m.get("expected")
        return cls(
            float(m["mean"]), low, high, int(m["n"]), None if expected is None else float(expected)
        )


@dataclass(frozen=True)
class SweepPoint:
    parameters: dict[str, Any]
    trials: int
    runs: tuple[str, ...]
    metrics: dict[str, Estimate]


@dataclass(frozen=True)
class Sweep:
    path: Path
    scenario: str
    parameters: tuple[str, ...]
    points: tuple[SweepPoint, ...]
    theory: dict[str, str]

    @property
    def metric_names(self) -> list[str]:
        return sorted({m for p in self.points for m in p.metrics})

    def series(self, metric: str) -> list[tuple[Any, Estimate]]:
        """(value of the first parameter, estimate) for every point that measured `metric`."""
        key = self.parameters[0]
        rows = [
            (p.parameters.get(key), p.metrics[metric]) for p in self.points if metric in p.metrics
        ]
        return sorted(rows, key=lambda r: (r[0] is None, r[0]))


def is_sweep_dir(path: Path) -> bool:
    return (path / "sweep.json").is_file()


def load_sweep(directory: Path) -> Sweep:
    path = directory / "sweep.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read the sweep ({exc})") from exc
    try:
        return _parse(directory, doc)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: not a {SWEEP_FORMAT} document ({exc!r})") from exc


def _parse(directory: Path, doc: dict[str, Any]) -> Sweep:
    if doc.get("format") != SWEEP_FORMAT:
        raise ValueError(f"format is {doc.get('format')!r}, expected {SWEEP_FORMAT!r}")
    parameters = tuple(str(p) for p in doc["parameters"])
    if not parameters:
        raise ValueError("parameters is empty")
    points = []
    for index, raw in enumerate(doc["points"]):
        metrics = {str(name): Estimate.from_json(m) for name, m in raw["metrics"].items()}
        missing = [p for p in parameters if p not in raw["parameters"]]
        if missing:
            raise ValueError(f"points[{index}] lacks parameters {missing}")
        points.append(
            SweepPoint(
                dict(raw["parameters"]), int(raw["trials"]), tuple(raw.get("runs") or ()), metrics
            )
        )
    return Sweep(
        path=directory,
        scenario=str(doc["scenario"]["name"]),
        parameters=parameters,
        points=tuple(points),
        theory={str(k): str(v) for k, v in (doc.get("theory") or {}).items()},
    )


def sweep_csv(sweep: Sweep) -> str:
    """The sweep as CSV: the parameters, then CSV_COLUMNS, one row per point and metric."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*sweep.parameters, *CSV_COLUMNS])
    for point in sweep.points:
        for name, e in sorted(point.metrics.items()):
            values = [point.parameters[p] for p in sweep.parameters]
            writer.writerow(
                [
                    *values,
                    name,
                    e.mean,
                    e.low,
                    e.high,
                    e.n,
                    "" if e.expected is None else e.expected,
                ]
            )
    return out.getvalue()
