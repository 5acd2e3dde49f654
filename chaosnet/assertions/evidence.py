"""What an assertion looks at (`Evidence`) and what it says (`AssertionResult`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaosnet.observe.metrics import Metrics, Record


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
    event_ends: dict[str, float]  # a scenario event's id → run time it was over (Schedule.ends)
    scenario_end: float  # run time at which the scenario's duration was over
    invalid_chains: dict[str, str]  # honest node → why its final chain is invalid
    shared_process: bool = False  # every node in one process (sim): memory is the process's share
