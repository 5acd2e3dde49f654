"""Live local runs, so `chaosnet down --all` finds their leftovers wherever `--out` pointed.

One small file per run set up and not yet torn down:

    STATE/runs/RUN_ID-PID.json    {"run_dir": "/abs/path", "runner_pid": PID}

STATE is `$CHAOSNET_STATE_DIR`, else `$XDG_STATE_HOME/chaosnet`, else `~/.local/state/chaosnet`.
Tests set `CHAOSNET_STATE_DIR` so they never see (or kill) the runs of anyone else on the machine.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


def state_dir() -> Path:
    override = os.environ.get("CHAOSNET_STATE_DIR")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_STATE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".local" / "state") / "chaosnet"


def register(run_dir: Path) -> Path:
    """Record a run as live; returns its entry, for `unregister`."""
    runs = state_dir() / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    entry = runs / f"{run_dir.name}-{os.getpid()}.json"
    record = {"run_dir": str(run_dir.resolve()), "runner_pid": os.getpid()}
    entry.write_text(json.dumps(record))
    return entry


def unregister(entry: Path) -> None:
    entry.unlink(missing_ok=True)


def registered() -> list[tuple[Path, Path]]:
    """(entry, run dir) of every run recorded as live; unreadable entries are skipped."""
    found = []
    for entry in sorted((state_dir() / "runs").glob("*.json")):
        try:
            found.append((entry, Path(json.loads(entry.read_text())["run_dir"])))
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found
