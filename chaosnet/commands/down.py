"""`chaosnet down`: remove what runs left behind (containers, networks, volumes, processes)."""

from __future__ import annotations

from pathlib import Path

import typer

from chaosnet.errors import BackendError, UsageError


def down(
    run_id: str | None = typer.Argument(None, help="Only this run (its directory name)."),
    all_runs: bool = typer.Option(False, "--all", help="Everything chaosnet ever labelled."),
    runs_dir: Path = typer.Option(Path("runs"), "--runs-dir", help="Where run directories are."),
) -> None:
    """Kill leftover local processes (from the pids.json of runs in RUNS and of every run still
    registered as live, wherever its --out was) and remove Docker objects labelled chaosnet —
    of one run, or with --all of every run."""
    if (run_id is None) == (not all_runs):
        raise UsageError("give a RUN_ID or --all (not both)")
    from chaosnet.backends import registry
    from chaosnet.backends.local import kill_leftovers

    run_dirs = {runs_dir / run_id} if run_id else set(runs_dir.glob("*/"))
    live = [(e, d) for e, d in registry.registered() if run_id is None or d.name == run_id]
    run_dirs |= {run_dir for _, run_dir in live}
    for run_dir in sorted(run_dirs):
        for killed in kill_leftovers(run_dir):
            typer.echo(f"killed {killed} of {run_dir.name}")
    for entry, _ in live:
        registry.unregister(entry)
    from docker.errors import DockerException

    from chaosnet.backends.docker import remove_labelled

    try:
        removed = remove_labelled(run_id)
    except (BackendError, DockerException) as exc:  # no engine: nothing of docker's to remove
        typer.echo(f"docker: skipped ({str(exc).splitlines()[0][:120]})")
        return
    for thing in removed:
        typer.echo(f"removed {thing}")
    if not removed:
        typer.echo("docker: nothing labelled chaosnet" + (f" for run {run_id}" if run_id else ""))


def register(app: typer.Typer) -> None:
    app.command(help="Remove leftovers of runs: processes, containers, networks, volumes.")(down)
