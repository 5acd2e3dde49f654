"""Explore a scenario: run N seeds, keep every seed whose assertions fail, write each as an
explicit schedule that `chaosnet run` repeats, and shrink it to a minimal one that still fails.

Seeds run through the sweep's machinery (`SweepExecution`: J at a time, Ctrl-C interrupts the
runs in flight). Shrinking runs one candidate at a time, each a scenario file written to disk and
run like any other, so the minimal file handed back is exactly a file that was run and failed.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chaosnet.backends.refusals import refuse_for_backend
from chaosnet.explore.faults import Fault, check_explorable, drawn_faults
from chaosnet.explore.reproduce import explicit_scenario
from chaosnet.explore.shrink import Shrinker
from chaosnet.plan import resolve
from chaosnet.scenario import load_scenario
from chaosnet.scenario.model import Scenario
from chaosnet.sweep.execute import RunOne, Trial, library_runner
from chaosnet.sweep.grid import Point

EXPLORE_FORMAT = "chaosnet-explore/v1"


@dataclass
class Finding:
    """One failing seed: what it drew, what it shrank to, and the files that replay them."""

    seed: int
    failed: list[str]  # names of the assertions that failed
    drawn: list[Fault]
    minimal: list[Fault] = field(default_factory=list)
    reproduced: bool | None = None  # None: not tried (interrupted first)
    shrink_runs: int = 0
    files: dict[str, str] = field(default_factory=dict)  # "drawn"/"minimal" → path


@dataclass
class Exploration:
    scenario_file: Path
    out: Path
    backend: str = "sim"
    shrink_budget: int = 40
    on_shrink: Callable[[int, str], None] = lambda seed, line: None
    findings: list[Finding] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)  # seed → the harness's message
    passed: list[int] = field(default_factory=list)
    interrupted: bool = False

    def __post_init__(self) -> None:
        self.scenario: Scenario = load_scenario(self.scenario_file)
        check_explorable(self.scenario)
        text = self.scenario_file.read_text(encoding="utf-8")
        refuse_for_backend(text, str(self.scenario_file), self.backend)  # as `run` would
        self.run_one: RunOne = library_runner(self.backend)

    def trials(self, seeds: int) -> list[Trial]:
        """Seeds count up from the scenario's own, so an exploration is repeatable."""
        point = Point(0, {}, self.scenario)
        first = self.scenario.seed
        return [
            Trial(point, s, self.out / "seeds" / f"seed-{s}") for s in range(first, first + seeds)
        ]

    def record(self, trial: Trial, results: dict[str, Any]) -> None:
        """Sort one finished seed: passed, failed (a finding) or a harness error."""
        verdict = results["verdict"]
        if verdict == "pass":
            self.passed.append(trial.seed)
        elif verdict == "fail":
            faults = drawn_faults(resolve(self.scenario, trial.seed))
            self.findings.append(Finding(trial.seed, failed_assertions(results), faults))
        elif verdict == "error":
            self.errors[trial.seed] = str(results.get("error"))

    def settle_findings(self, shrink: bool) -> None:
        """Write each finding's drawn schedule; with `shrink`, confirm and shrink it too.
        Ctrl-C while shrinking keeps the smallest schedule seen failing and shrinks no more."""
        for finding in sorted(self.findings, key=lambda f: f.seed):
            self._write(finding, "drawn", finding.drawn)
            if not shrink or self.interrupted:
                continue
            try:
                self._shrink(finding)
            except KeyboardInterrupt:
                self.interrupted = True
        self._write_summary()

    def _shrink(self, finding: Finding) -> None:
        attempts = itertools.count(1)

        def fails(faults: list[Fault]) -> bool:
            results = self._run_schedule(finding, faults, next(attempts))
            if results["verdict"] == "interrupted":
                raise KeyboardInterrupt
            failed = set(failed_assertions(results))
            return results["verdict"] == "fail" and bool(failed & set(finding.failed))

        self.on_shrink(finding.seed, f"replaying its {len(finding.drawn)} faults as a file")
        finding.reproduced = fails(finding.drawn)
        if not finding.reproduced:
            self.on_shrink(finding.seed, "the explicit schedule does not fail: not shrunk")
            return
        shrinker = Shrinker(finding.drawn, fails, self.shrink_budget, self._told(finding))
        try:
            shrinker.shrink()
        finally:
            finding.minimal, finding.shrink_runs = shrinker.best, shrinker.runs
            self._write(finding, "minimal", finding.minimal)

    def _told(self, finding: Finding) -> Callable[[list[Fault], bool], None]:
        def tried(faults: list[Fault], failed: bool) -> None:
            shown = "; ".join(f.describe() for f in faults) or "no faults"
            self.on_shrink(finding.seed, f"{'fails' if failed else 'passes'}: {shown}")

        return tried

    def _run_schedule(self, finding: Finding, faults: list[Fault], attempt: int) -> dict[str, Any]:
        folder = self.out / "shrink" / f"seed-{finding.seed}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"try-{attempt:03d}.yaml"
        path.write_text(self._text(finding, faults, "a shrinking candidate"))
        scenario = load_scenario(path)
        point = Point(0, {}, scenario)
        return self.run_one(Trial(point, finding.seed, folder / f"try-{attempt:03d}"))

    def _write(self, finding: Finding, kind: str, faults: list[Fault]) -> None:
        path = self.out / "failures" / f"seed-{finding.seed}-{kind}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        what = "the schedule seed drew" if kind == "drawn" else "the minimal schedule found"
        path.write_text(self._text(finding, faults, what))
        finding.files[kind] = str(path)

    def _text(self, finding: Finding, faults: list[Fault], what: str) -> str:
        note = (
            f"Written by `chaosnet explore {self.scenario_file}`: {what} (seed {finding.seed},"
            f" {_count(faults)}).\nIt failed: {', '.join(finding.failed)}.\n"
            f"Repeat it: chaosnet run THIS_FILE --backend {self.backend}"
        )
        return explicit_scenario(self.scenario_file, finding.seed, faults, note)

    def _write_summary(self) -> None:
        document = {
            "format": EXPLORE_FORMAT,
            "scenario": str(self.scenario_file),
            "backend": self.backend,
            "interrupted": self.interrupted,
            "passed": sorted(self.passed),
            "errors": {str(k): v for k, v in sorted(self.errors.items())},
            "failures": [
                {
                    **{k: v for k, v in asdict(f).items() if k not in ("drawn", "minimal")},
                    "drawn": [f_.describe() for f_ in f.drawn],
                    "minimal": [f_.describe() for f_ in f.minimal],
                }
                for f in sorted(self.findings, key=lambda f: f.seed)
            ],
        }
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "explore.json").write_text(json.dumps(document, indent=2) + "\n")


def failed_assertions(results: dict[str, Any]) -> list[str]:
    """The names of the assertions a run's results record as failed."""
    return [a["name"] for a in results.get("assertions", []) if not a["passed"]]


def _count(faults: list[Fault]) -> str:
    return f"{len(faults)} fault{'' if len(faults) == 1 else 's'}"
