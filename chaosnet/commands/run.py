"""`chaosnet run`: a scenario on a backend, to a verdict and an exit code."""

from __future__ import annotations

import signal
from pathlib import Path
from types import FrameType

import typer
from rich.console import Console

from chaosnet.backends import BACKENDS, make_backend
from chaosnet.backends.refusals import refuse_for_backend
from chaosnet.errors import UsageError
from chaosnet.plan import Plan, resolve
from chaosnet.replay import load_replay, write_replay
from chaosnet.report.files import write_reports
from chaosnet.report.terminal import LiveProgress, print_plan, print_verdict
from chaosnet.runner import Runner, new_run_dir
from chaosnet.scenario.loader import load_scenario


def _terminate_as_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(
    scenario_file: Path | None = typer.Argument(
        None, help="The scenario YAML (omit with --replay).", show_default=False
    ),
    backend: str = typer.Option(
        "local", "--backend", "-b", help=f"Where nodes run: {' | '.join(BACKENDS)}."
    ),
    out: Path = typer.Option(Path("runs"), "--out", help="Parent folder of the run directory."),
    seed: int | None = typer.Option(
        None, "--seed", help="Overrides the scenario's seed (topology, chaos, mining)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Validate and print the resolved plan; start nothing."
    ),
    replay: Path | None = typer.Option(
        None, "--replay", help="A run's replay.json: repeat exactly that fault schedule."
    ),
    keep: bool = typer.Option(
        False, "--keep", help="Leave the network up afterwards and print how to reach it."
    ),
) -> None:
    """Run a scenario: start the nodes behind Toxiproxy, drive the timeline, check assertions.

    Exit code 0 when every assertion holds, 1 when some fail, 2 for invalid input or a harness
    error, 130 when interrupted. Results land in OUT/<time>-<name>/ (results.json, events.jsonl,
    replay.json, logs/).
    """
    console = Console()
    plan, text = _plan(scenario_file, replay, seed)
    if backend == "sim" and keep:
        raise UsageError("--keep has nothing to keep on --backend sim: its nodes end with it")
    refuse_for_backend(text, str(scenario_file or replay), backend)
    if dry_run:
        print_plan(console, plan)
        raise typer.Exit(0)
    run_dir = new_run_dir(out, plan.scenario.name)
    write_replay(run_dir / "replay.json", plan, text)
    console.print(f"run [bold]{plan.scenario.name}[/] on {backend} → {run_dir}")
    runner = Runner(plan, make_backend(backend), run_dir)
    previous = signal.signal(signal.SIGTERM, _terminate_as_interrupt)
    try:
        with LiveProgress(console, plan) as progress:
            runner.hooks = progress
            result = runner.run(keep=keep)
    finally:
        signal.signal(signal.SIGTERM, previous)
    write_reports(result.run_dir, result.results)
    print_verdict(console, result.results, result.run_dir, result.log_tails)
    if keep:
        _print_keep(console, runner)
    raise typer.Exit(result.exit_code)


def _plan(scenario_file: Path | None, replay: Path | None, seed: int | None) -> tuple[Plan, str]:
    if replay is not None:
        if scenario_file is not None or seed is not None:
            raise UsageError("--replay repeats a recorded run: give no scenario file and no --seed")
        return load_replay(replay)
    if scenario_file is None:
        raise UsageError("give a scenario file, or --replay RUN_DIR/replay.json")
    scenario = load_scenario(scenario_file)
    return resolve(scenario, seed), scenario_file.read_text(encoding="utf-8")


def _print_keep(console: Console, runner: Runner) -> None:
    """Docker's network outlives this process until `chaosnet down`; local processes die with
    chaosnet (they are its children), so for them --keep holds this process open instead."""
    console.print("[bold]the network is still up[/] (--keep):")
    for name in runner.plan.node_names:
        try:
            console.print(f"  {name}: {runner.backend.endpoint(name).url}/status")
        except Exception:
            continue
    if runner.backend.name != "local":
        console.print(f"tear it down with: chaosnet down {runner.run_dir.name}")
        return
    console.print("the nodes stop with this process: press Ctrl-C when done")
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass
    finally:
        runner.backend.teardown()


def register(app: typer.Typer) -> None:
    app.command()(run)
