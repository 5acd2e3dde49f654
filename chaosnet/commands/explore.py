"""`chaosnet explore`: run many seeds of a scenario, keep the failing ones, shrink each."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from chaosnet.backends import BACKENDS, check_backend
from chaosnet.explore.exploration import Exploration, failed_assertions
from chaosnet.sweep.execute import SweepExecution, Trial
from chaosnet.sweep.progress import execute_with_progress


def explore(
    scenario_file: Path = typer.Argument(..., help="The scenario YAML.", show_default=False),
    seeds: int = typer.Option(50, "--seeds", min=1, max=100_000, help="Seeds to run."),
    backend: str = typer.Option(
        "sim", "--backend", "-b", help=f"Where nodes run: {' | '.join(BACKENDS)}."
    ),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, max=64, help="Seeds at a time."),
    max_failures: int = typer.Option(
        0, "--max-failures", min=0, help="Stop after this many failing seeds (0: run them all)."
    ),
    shrink_budget: int = typer.Option(
        40, "--shrink-budget", min=0, help="Runs each failing seed may spend shrinking (0: none)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="The exploration directory (default explorations/<time>-<scenario>)."
    ),
) -> None:
    """Hunt for fault schedules that break a scenario's assertions.

    Each seed draws the scenario's random faults (its `chaos:` crashes and partitions) and
    random topology anew. Every failing seed is written out as a scenario with the seed pinned
    and the drawn faults as explicit `at:` events (OUT/failures/seed-N-drawn.yaml), then shrunk,
    each candidate re-run: fewest faults first, then earliest times, then mildest lengths
    (OUT/failures/seed-N-minimal.yaml). `chaosnet run FILE --backend sim` repeats either one.
    OUT/explore.json lists every seed's fate.

    Example: chaosnet explore scenarios/explore/reorg-mempool.yaml --seeds 200 --max-failures 1

    Exit 0 when every seed passed, 1 when some seed failed, 2 for invalid input or when a run
    could not be carried out (a harness error), 130 when interrupted: what was found so far is
    written, and Ctrl-C while shrinking keeps the smallest failing schedule seen.
    Shrinking is only deterministic on sim; elsewhere a candidate may pass or fail by chance.
    """
    check_backend(backend)
    console = Console()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    target = out or Path("explorations") / f"{stamp}-{scenario_file.stem}"
    exploration = Exploration(
        scenario_file,
        target,
        backend,
        shrink_budget,
        on_shrink=lambda seed, line: console.print(f"  shrink seed {seed}: {line}"),
    )
    trials = exploration.trials(seeds)
    console.print(
        f"explore [bold]{exploration.scenario.name}[/]: seeds {trials[0].seed}.."
        f"{trials[-1].seed} on {backend}, {jobs} at a time → {target}"
    )

    def done(execution: SweepExecution, trial: Trial, results: dict[str, Any]) -> str:
        exploration.record(trial, results)
        if max_failures and len(exploration.findings) >= max_failures:
            execution.stop()
        return f"  seed {trial.seed}: {results['verdict']}" + _why(results)

    execution = execute_with_progress(console, trials, exploration.run_one, jobs, done)
    exploration.interrupted = execution.interrupted
    exploration.settle_findings(shrink=shrink_budget > 0)
    _summarise(console, exploration, len(execution.finished))
    raise typer.Exit(_exit_code(exploration))


def _why(results: dict[str, Any]) -> str:
    if results["verdict"] == "fail":
        return f" ({', '.join(failed_assertions(results))})"
    if results["verdict"] == "error":
        return f" ({results.get('error')})"
    return ""


def _summarise(console: Console, exploration: Exploration, ran: int) -> None:
    found = sorted(exploration.findings, key=lambda f: f.seed)
    console.print(
        f"{ran} seeds run: {len(exploration.passed)} passed, {len(found)} failed, "
        f"{len(exploration.errors)} harness errors"
    )
    for finding in found:
        shrunk = (
            f"shrunk to {len(finding.minimal)} of {len(finding.drawn)} faults in "
            f"{finding.shrink_runs} runs → {finding.files['minimal']}"
            if "minimal" in finding.files
            else "not shrunk"
        )
        console.print(f"[red]seed {finding.seed}[/]: {', '.join(finding.failed)}; {shrunk}")
        for fault in finding.minimal or finding.drawn:
            console.print(f"    {fault.describe()}")
        console.print(f"    drawn schedule → {finding.files['drawn']}")
    if exploration.interrupted:
        console.print("[yellow]interrupted[/]: what was found so far is written")
    console.print(f"summary → {exploration.out / 'explore.json'}")


def _exit_code(exploration: Exploration) -> int:
    if exploration.interrupted:
        return 130
    if exploration.findings:
        return 1
    return 2 if exploration.errors else 0


def register(app: typer.Typer) -> None:
    app.command()(explore)
