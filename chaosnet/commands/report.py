"""`chaosnet report`: a finished run shown again, as text, JSON or JUnit XML."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console

from chaosnet.errors import UsageError
from chaosnet.report.junit import to_junit
from chaosnet.report.terminal import print_verdict


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"


def latest_run(runs: Path) -> Path:
    candidates = sorted(p for p in runs.glob("*/results.json")) if runs.is_dir() else []
    if not candidates:
        raise UsageError(f"no finished run under {runs}/ (run one with `chaosnet run`)")
    return max(candidates, key=lambda p: p.stat().st_mtime).parent


def report(
    run_dir: Path | None = typer.Argument(
        None, help="A run directory (default: the latest under runs/).", show_default=False
    ),
    fmt: Format = typer.Option(Format.TEXT, "--format", "-f", help="text, json or junit."),
) -> None:
    """Show a finished run's verdict again; exits with the run's own exit code."""
    run_dir = run_dir or latest_run(Path("runs"))
    path = run_dir / "results.json"
    try:
        results = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: cannot read the run's results ({exc})") from exc
    if fmt is Format.JSON:
        typer.echo(json.dumps(results, indent=2))
    elif fmt is Format.JUNIT:
        typer.echo(to_junit(results))
    else:
        print_verdict(Console(), results, run_dir)
    raise typer.Exit(int(results["exit_code"]))


def register(app: typer.Typer) -> None:
    app.command()(report)
