"""Running `chaosnet` as a user does (a real subprocess) and reading what a run left behind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
import psutil

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = REPO / "scenarios"
RESULTS_SCHEMA = json.loads((REPO / "schemas" / "results.schema.json").read_text())


def chaosnet(*args: str, cwd: Path, timeout: float = 400) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from chaosnet.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


def only_run_dir(out: Path) -> Path:
    runs = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(runs) == 1, runs
    return runs[0]


def results_of(run_dir: Path) -> dict[str, Any]:
    results = dict(json.loads((run_dir / "results.json").read_text()))
    jsonschema.validate(results, RESULTS_SCHEMA)
    return results


def run_ok(scenario: str | Path, out: Path, *extra: str) -> dict[str, Any]:
    """Run a scenario to a passing verdict; on failure show the failed assertions and output."""
    path = scenario if isinstance(scenario, Path) else SCENARIOS / scenario
    proc = chaosnet("run", str(path), "--out", str(out), *extra, cwd=out)
    results = results_of(only_run_dir(out))
    failed = [a for a in results["assertions"] if not a["passed"]]
    assert proc.returncode == 0, f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}\nfailed: {failed}"
    assert results["verdict"] == "pass"
    return results


def processes_started_for(run_dir: Path) -> list[psutil.Process]:
    """Every live process whose command line mentions the run directory (the nodes)."""
    alive = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if any(str(run_dir) in part for part in proc.info["cmdline"] or []):
                alive.append(proc)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return alive


def wait_for_phase(parent: Path, phase: str, timeout: float) -> Path:
    """The run directory under `parent` once its journal shows `phase`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for run_dir in parent.iterdir():
            events = run_dir / "events.jsonl"
            if events.exists() and f'"phase": "{phase}"' in events.read_text():
                return run_dir
        time.sleep(0.2)
    raise AssertionError(f"no run under {parent} reached phase {phase} within {timeout}s")
