"""The `chaosnet` command line: a thin Typer layer over the library.

Each group of commands lives in `chaosnet/commands/<topic>.py` and exposes `register(app)`, so the
CLI stays a table of contents. Errors derived from `ChaosnetError` become exit code 2 with their
message here, in one place.
"""

from __future__ import annotations

import inspect
import sys
import traceback

import typer

from chaosnet import __version__
from chaosnet.commands import COMMAND_MODULES
from chaosnet.errors import ChaosnetError

app = typer.Typer(
    name="chaosnet",
    help=(
        "Chaos testing for peer-to-peer blockchains.\n\n"
        "A day with chaosnet: `chaosnet new my.yaml` → edit → `chaosnet validate my.yaml` → "
        "`chaosnet run my.yaml` → read the verdict. Exit codes: 0 all assertions hold, "
        "1 some failed, 2 invalid input or usage."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chaosnet {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Chaos testing for peer-to-peer blockchains."""


def _unwrapped(text: str) -> str:
    """Each paragraph on one line: Typer keeps a docstring's single line breaks, so help wrapped
    at 100 columns in the source came out ragged in an 80-column terminal."""
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(" ".join(line.strip() for line in p.splitlines()) for p in paragraphs)


def _unwrap_help(commands: typer.Typer) -> None:
    for command in commands.registered_commands:
        text = command.help or inspect.getdoc(command.callback)
        if text:
            command.help = _unwrapped(text)
    for group in commands.registered_groups:
        if group.typer_instance is not None:
            _unwrap_help(group.typer_instance)


for _module in COMMAND_MODULES:
    _module.register(app)
_unwrap_help(app)


def main() -> None:
    """Console-script entry point: maps library errors onto exit code 2 (click handles usage)."""
    try:
        app()
    except ChaosnetError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except Exception:  # a bug in chaosnet is a harness error, never "assertions failed" (1)
        traceback.print_exc()
        typer.echo("error: chaosnet itself failed (the traceback above is a bug)", err=True)
        sys.exit(2)
