"""`chaosnet validate`, `chaosnet schema`, `chaosnet new`: writing scenarios before running them."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from chaosnet.backends import BACKENDS, check_backend
from chaosnet.backends.refusals import refuse_for_backend
from chaosnet.errors import ScenarioError
from chaosnet.scenario.loader import load_scenario
from chaosnet.scenario.reference import reference_markdown
from chaosnet.scenario.schema import load_schema
from chaosnet.scenario.starter import TEMPLATES, write_starter


def validate(
    files: list[Path] = typer.Argument(..., help="Scenario files to check.", show_default=False),
    backend: str | None = typer.Option(
        None,
        "--backend",
        "-b",
        help=f"Also check what this backend cannot run ({' | '.join(BACKENDS)}), as `run` does.",
        show_default=False,
    ),
) -> None:
    """Check scenario files: `ok FILE` for each valid one, every problem as `file:line:col: message`.

    With --backend, also what that backend refuses before starting: more nodes than local or
    docker hold, and on sim `mining: real` or a CPU quota. Exit code 0 when all are valid, 2
    otherwise.
    """
    if backend is not None:
        check_backend(backend)
    failed = False
    for path in files:
        try:
            load_scenario(path)
            if backend is not None:
                refuse_for_backend(path.read_text(encoding="utf-8"), str(path), backend)
        except ScenarioError as exc:
            failed = True
            for message in exc.messages:
                typer.echo(message, err=True)
        else:
            typer.echo(f"ok {path}")
    raise typer.Exit(2 if failed else 0)


def schema(
    markdown: bool = typer.Option(
        False, "--markdown", help="Print the reference (docs/scenarios.md) instead of JSON."
    ),
) -> None:
    """Print the scenario JSON Schema (for editors and other tools)."""
    if markdown:
        typer.echo(reference_markdown(), nl=False)
    else:
        typer.echo(json.dumps(load_schema(), indent=2, ensure_ascii=False))


def new(
    name: str = typer.Argument(..., help="NAME (writes NAME.yaml) or a path ending in .yaml."),
    template: str = typer.Option(
        "minimal", "--template", "-t", help=f"Starting point: {' | '.join(TEMPLATES)}."
    ),
) -> None:
    """Write a commented starter scenario that validates; never overwrites a file."""
    target = write_starter(name, template)
    typer.echo(f"wrote {target}; next: chaosnet validate {target}")


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(schema)
    app.command()(new)
