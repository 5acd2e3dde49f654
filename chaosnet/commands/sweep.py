"""`chaosnet sweep`: one scenario over a grid of parameter values, several seeds per point."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from chaosnet.backends import BACKENDS, check_backend
from chaosnet.errors import UsageError
from chaosnet.sweep.execute import SweepExecution, Trial, library_runner, plan_trials, write_sweep
from chaosnet.sweep.grid import parse_assignment, points
from chaosnet.sweep.progress import execute_with_progress


def sweep(
    scenario_file: Path = typer.Argument(..., help="The scenario YAML.", show_default=False),
    assignments: list[str] = typer.Option(
        [],
        "--set",
        help="PATH=VALUES, e.g. attackers.mallory.hashrate=10%..45%/5% or links.latency=20ms,50ms"
        " (repeat for more axes; the grid is every combination).",
    ),
    seeds: int = typer.Option(5, "--seeds", min=1, max=1000, help="Runs per point."),
    backend: str = typer.Option(
        "local", "--backend", "-b", help=f"Where nodes run: {' | '.join(BACKENDS)}."
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, max=64, help="Runs at a time."),
    out: Path | None = typer.Option(
        None, "--out", help="The sweep directory (default sweeps/<time>-<scenario>)."
    ),
) -> None:
    """Run a scenario over a grid of --set values, --seeds runs per point.

    Every combination of the --set values is run --seeds times; sweep.json and sweep.csv (format
    chaosnet-sweep/v1) give each metric's mean, 95 % interval and closed form per point. Read them
    with `chaosnet report DIR`.

    Exit 0 when the sweep completed, 2 for invalid input, 130 when interrupted (what finished is
    written). A sweep measures; the scenario's assertions decide each run but not the exit code.
    """
    check_backend(backend)
    if not assignments:
        raise UsageError(
            "give at least one --set PATH=VALUES; to run the scenario as it is over many seeds, "
            "use chaosnet explore FILE --seeds N"
        )
    axes = [parse_assignment(a) for a in assignments]
    grid = points(scenario_file, axes)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    sweep_dir = out or Path("sweeps") / f"{stamp}-{grid[0].scenario.name}"
    trials = plan_trials(grid, seeds, sweep_dir)
    console = Console()
    console.print(
        f"sweep [bold]{grid[0].scenario.name}[/]: {len(grid)} points x {seeds} seeds = "
        f"{len(trials)} runs on {backend}, {jobs} at a time → {sweep_dir}"
    )
    execution = execute_with_progress(console, trials, library_runner(backend), jobs, _line)
    written = write_sweep(sweep_dir, scenario_file, axes, execution.finished)
    console.print(f"{len(execution.finished)} of {len(trials)} runs finished; wrote {written}")
    if execution.interrupted:
        console.print("[yellow]interrupted[/]: the sweep holds the runs that finished")
        raise typer.Exit(130)


def _line(execution: SweepExecution, trial: Trial, results: dict[str, Any]) -> str:
    shown = ", ".join(f"{k}={v}" for k, v in trial.point.parameters.items())
    return f"  {shown} seed {trial.seed}: {results['verdict']}"


def register(app: typer.Typer) -> None:
    app.command()(sweep)
