"""Reading a run directory back, tolerant of damage: whatever is valid is kept, and every piece
that is missing or broken is named in `problems` instead of raising.

A run killed half-way leaves `events.jsonl` (appended as things happen) without `results.json`;
a crash mid-write leaves a truncated last line. Reports render what is there and say what is not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaosnet.errors import UsageError

Record = dict[str, Any]


@dataclass
class LoadedRun:
    """What could be read from one run directory."""

    path: Path
    results: dict[str, Any] | None = None
    records: list[Record] = field(default_factory=list)
    replay: dict[str, Any] | None = None
    logs: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.problems

    def of_kind(self, kind: str) -> list[Record]:
        return [r for r in self.records if r.get("kind") == kind]


def load_run(path: Path) -> LoadedRun:
    """Read `path` as a run directory; raise UsageError only when nothing in it is a run's."""
    if not path.exists():
        raise UsageError(f"{path}: no such run directory")
    if not path.is_dir():
        raise UsageError(f"{path}: not a directory (give a run directory, runs/<time>-<name>/)")
    run = LoadedRun(path=path)
    run.results = _read_results(path / "results.json", run.problems)
    run.records = _read_journal(path / "events.jsonl", run.problems)
    run.replay = _read_json_object(path / "replay.json", "replay.json", run.problems)
    logs = path / "logs"
    run.logs = sorted(p for p in logs.iterdir() if p.is_file()) if logs.is_dir() else []
    if run.results is None and not run.records:
        raise UsageError(
            f"{path}: not a chaosnet run directory, or nothing in it is readable: "
            + "; ".join(run.problems)
        )
    return run


def _read_json_object(path: Path, label: str, problems: list[str]) -> dict[str, Any] | None:
    if not path.exists():
        problems.append(f"{label} is missing")
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(f"{label} is unreadable ({exc})")
        return None
    if not isinstance(doc, dict):
        problems.append(f"{label} is not a JSON object")
        return None
    return doc


REQUIRED_RESULTS = ("scenario", "verdict", "assertions", "metrics")


def _read_results(path: Path, problems: list[str]) -> dict[str, Any] | None:
    doc = _read_json_object(path, "results.json", problems)
    if doc is None:
        if not path.exists():
            problems[-1] += " (an interrupted or still running run?)"
        return None
    missing = [key for key in REQUIRED_RESULTS if key not in doc]
    if missing:
        problems.append(f"results.json lacks {', '.join(missing)}")
        return None
    wrong = [
        key
        for key, kind in (("scenario", dict), ("assertions", list), ("metrics", dict))
        if not isinstance(doc[key], kind)
    ]
    if wrong:
        problems.append(f"results.json has malformed {', '.join(wrong)}")
        return None
    return doc


def _read_journal(path: Path, problems: list[str]) -> list[Record]:
    if not path.exists():
        problems.append("events.jsonl is missing")
        return []
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        problems.append(f"events.jsonl is unreadable ({exc})")
        return []
    records: list[Record] = []
    bad: list[int] = []
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            bad.append(number)
            continue
        if isinstance(record, dict) and isinstance(record.get("kind"), str) and "t" in record:
            records.append(record)
        else:
            bad.append(number)
    if bad:
        last = len(lines) - (1 if lines and lines[-1] == "" else 0)
        if bad == [last] and not text.endswith("\n"):
            problems.append(f"events.jsonl ends in a truncated line ({last}); it was skipped")
        else:
            shown = ", ".join(map(str, bad[:5])) + (" …" if len(bad) > 5 else "")
            problems.append(f"events.jsonl has {len(bad)} unreadable lines ({shown}); skipped")
    if not records and not bad:
        problems.append("events.jsonl is empty")
    return records
