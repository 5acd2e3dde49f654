"""`chaosnet report`: a finished run shown again (text, JSON, JUnit XML or an HTML page), two runs
compared, or a sweep directory rendered.

Exit codes: a run's report exits with the run's own code; `--compare` exits 1 when a metric
regressed past the tolerance, else 0; anything unreadable, incomplete or incomparable exits 2
after rendering whatever was valid.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from chaosnet.errors import UsageError
from chaosnet.report.compare import DifferentScenarios, compare
from chaosnet.report.compare_page import render_compare_html
from chaosnet.report.console import print_comparison, print_partial, print_sweep
from chaosnet.report.html import write_html
from chaosnet.report.junit import to_junit
from chaosnet.report.load import LoadedRun, load_run
from chaosnet.report.sweep import is_sweep_dir, load_sweep
from chaosnet.report.sweep_page import write_sweep_html
from chaosnet.report.terminal import print_verdict

DEFAULT_TOLERANCE = "10%"


class Format(StrEnum):
    TEXT = "text"
    JSON = "json"
    JUNIT = "junit"
    HTML = "html"


def latest_run(runs: Path) -> Path:
    candidates = sorted(p for p in runs.glob("*/results.json")) if runs.is_dir() else []
    if not candidates:
        raise UsageError(f"no finished run under {runs}/ (run one with `chaosnet run`)")
    return max(candidates, key=lambda p: p.stat().st_mtime).parent


def parse_tolerance(text: str) -> float:
    """`10%` or `0.1` → 0.1."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 1:
        raise UsageError(f"--tolerance {text!r}: give a share such as 10% or 0.1")
    return value


def report(
    paths: list[Path] = typer.Argument(
        None,
        help="A run directory (default: the latest under runs/), a sweep directory, or two runs "
        "with --compare.",
        show_default=False,
        metavar="RUN_DIR | SWEEP_DIR | RUN_A RUN_B",
    ),
    fmt: Format = typer.Option(Format.TEXT, "--format", "-f", help="text, json, junit or html."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Where --format html writes (default: report.html in the run)."
    ),
    compare_runs: bool = typer.Option(
        False, "--compare", help="Compare two runs, A then B: exit 1 if B regressed."
    ),
    tolerance: str = typer.Option(
        DEFAULT_TOLERANCE, "--tolerance", help="Relative change that counts (10% or 0.1)."
    ),
) -> None:
    """Show a finished run again, compare two runs, or render a sweep directory.

    A run's report exits with the run's own exit code; --compare exits 1 when a metric or
    assertion regressed past the tolerance, 0 otherwise; a missing, incomplete or corrupt run
    directory, or runs of different scenarios, exit 2 (after showing what could be read).
    """
    paths = list(paths or [])
    if compare_runs:
        if len(paths) != 2:
            raise UsageError("--compare needs two run directories: RUN_A RUN_B")
        _compare(paths[0], paths[1], fmt, out, parse_tolerance(tolerance))
    if len(paths) > 1:
        raise UsageError("give one run directory (or two with --compare)")
    target = paths[0] if paths else latest_run(Path("runs"))
    if is_sweep_dir(target):
        _sweep(target, fmt, out)
    _run(load_run(target), fmt, out)


def _run(run: LoadedRun, fmt: Format, out: Path | None) -> None:
    console = Console()
    results = run.results
    if fmt is Format.HTML:
        page = write_html(run.path, out)
        typer.echo(f"wrote {page}")
    elif fmt is Format.JSON:
        doc: Any = results
        if not run.complete:
            doc = {"complete": False, "problems": run.problems, "results": results}
        typer.echo(json.dumps(doc, indent=2))
    elif fmt is Format.JUNIT and results is not None:
        typer.echo(to_junit(results))
    elif fmt is Format.TEXT and results is not None:
        print_verdict(console, results, run.path)
    if not run.complete:
        if fmt is Format.TEXT:
            print_partial(Console(stderr=True), run)
        shown = (
            "no results.json to render"
            if results is None and fmt is Format.JUNIT
            else ("showed what was readable")
        )
        raise UsageError(f"{run.path}: incomplete run ({'; '.join(run.problems)}); {shown}")
    raise typer.Exit(int(results["exit_code"]) if results else 2)


def _compare(a: Path, b: Path, fmt: Format, out: Path | None, tolerance: float) -> None:
    docs = []
    for path in (a, b):
        run = load_run(path)
        if run.results is None:
            raise UsageError(
                f"{path}: no readable results.json to compare ({'; '.join(run.problems)})"
            )
        docs.append(run.results)
    try:
        comparison = compare(docs[0], docs[1], tolerance)
    except DifferentScenarios as exc:
        raise UsageError(str(exc)) from exc
    if fmt is Format.HTML:
        target = out or b / "compare.html"
        target.write_text(render_compare_html(comparison))
        typer.echo(f"wrote {target}")
    elif fmt is Format.JSON:
        rows = [
            {**vars(r), "direction": str(r.direction), "outcome": str(r.outcome)}
            for r in comparison.rows
        ]
        doc = {
            "tolerance": tolerance,
            "notes": comparison.notes,
            "rows": rows,
            "regressions": [r.name for r in comparison.regressions],
        }
        typer.echo(json.dumps(doc, indent=2, default=str))
    elif fmt is Format.TEXT:
        print_comparison(Console(), comparison, str(a), str(b))
    else:
        raise UsageError("--compare renders as text, json or html")
    raise typer.Exit(comparison.exit_code)


def _sweep(directory: Path, fmt: Format, out: Path | None) -> None:
    sweep = load_sweep(directory)
    if fmt is Format.HTML:
        typer.echo(f"wrote {write_sweep_html(sweep, out)}")
    elif fmt is Format.JSON:
        typer.echo((directory / "sweep.json").read_text())
    elif fmt is Format.TEXT:
        print_sweep(Console(), sweep)
    else:
        raise UsageError("a sweep renders as text, json or html")
    raise typer.Exit(0)


def register(app: typer.Typer) -> None:
    app.command()(report)
