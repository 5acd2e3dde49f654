"""Many runs on the terminal: a progress bar, one line per finished run, Ctrl-C keeping what
finished. Shared by `chaosnet sweep` and `chaosnet explore`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from chaosnet.sweep.execute import RunOne, SweepExecution, Trial

Done = Callable[[SweepExecution, Trial, dict[str, Any]], str]  # a finished run → its line


def execute_with_progress(
    console: Console, trials: list[Trial], run_one: RunOne, jobs: int, done: Done
) -> SweepExecution:
    """Run `trials`, printing `done(execution, trial, results)` as each ends (it may also
    `execution.stop()`); returns the execution, whose `interrupted` says Ctrl-C ended it."""
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("runs", total=len(trials))
        execution: SweepExecution

        def on_done(trial: Trial, results: dict[str, Any]) -> None:
            progress.console.print(done(execution, trial, results))
            progress.advance(task)

        execution = SweepExecution(trials, run_one, jobs, on_done)
        execution.execute()
    return execution
