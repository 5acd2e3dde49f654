"""Reading a run directory back, tolerant of damage: whatever is valid is kept, and every piece
that is missing or broken is named in `problems` instead of raising.

A run killed half-way leaves `events.jsonl` (appended as things happen) without `results.json`;
a crash mid-write leaves a truncated last line. Reports render what is there and say what is not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

import chaosnet
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


RESULTS_SCHEMA = "results.schema.json"

NUMBER = (int, float)
# what each kind of journal record must carry for the reports to use it (others pass as they are)
RECORD_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    "sample": {"node": str, "height": int, "tip": str},
    "block_seen": {"node": str, "hash": str, "seen_t": NUMBER},
    "reorg": {"node": str, "depth": int},
    "stats": {"node": str, "rss": int},
    "node_state": {"node": str, "state": str},
    "partition": {"state": str},
    "event": {"id": str, "status": str},
    "final_chain": {"tip": str, "height": int, "blocks": list},
    "final_state": {"converged": bool},
    "link_bytes": {"bytes": dict},
    "assertion": {"result": dict},
}


@cache
def results_schema() -> dict[str, Any]:
    """schemas/results.schema.json: beside the package (repo, editable install), else the copy a
    wheel carries in `chaosnet/_schemas/`."""
    package = Path(chaosnet.__file__).resolve().parent
    for candidate in (package.parent / "schemas", package / "_schemas"):
        if (candidate / RESULTS_SCHEMA).is_file():
            schema: dict[str, Any] = json.loads((candidate / RESULTS_SCHEMA).read_text())
            return schema
    raise FileNotFoundError(f"{RESULTS_SCHEMA} is missing from this installation of chaosnet")


def _read_results(path: Path, problems: list[str]) -> dict[str, Any] | None:
    doc = _read_json_object(path, "results.json", problems)
    if doc is None:
        if not path.exists():
            problems[-1] += " (an interrupted or still running run?)"
        return None
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(results_schema()).iter_errors(doc)
    )
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "the top level"
        problems.append(f"results.json does not match its schema at {where}: {error.message}")
        return None
    return doc


def _usable(record: Any) -> bool:
    if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
        return False
    if not isinstance(record.get("t"), NUMBER):
        return False
    fields = RECORD_FIELDS.get(record["kind"], {})
    return all(isinstance(record.get(key), kind) for key, kind in fields.items())


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
        if _usable(record):
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
