"""`chaosnet doctor`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from chaosnet.backends import BACKENDS
from chaosnet.doctor import DEFAULT_BACKEND, backend_usable, run_checks


def doctor() -> None:
    """Show what each backend needs, what is missing, and the command that fixes it.

    Exits 0 when the default backend (local) is usable, 1 otherwise.
    """
    checks = run_checks()
    table = Table(title="chaosnet doctor")
    for column in ("backend", "needs", "", "found", "fix"):
        table.add_column(column)
    for c in checks:
        mark = "[green]ok[/]" if c.ok else "[red]missing[/]"
        table.add_row(c.backend, c.name, mark, c.detail, c.fix)
    console = Console()
    console.print(table)
    usable = backend_usable(checks)
    for backend in BACKENDS:  # sim needs nothing beyond what every backend needs
        state = "usable" if backend_usable(checks, backend) else "NOT usable"
        console.print(f"backend {backend}: {state}")
    raise typer.Exit(0 if usable else 1)


def register(app: typer.Typer) -> None:
    app.command(help=f"Check what each backend needs (exit 0 when '{DEFAULT_BACKEND}' is usable).")(
        doctor
    )
