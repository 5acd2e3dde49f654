"""Terminal renderings of what `chaosnet report` reads besides a finished run: a comparison of
two runs, a sweep, and a damaged run directory. The display layer: the only report module besides
`terminal.py` that imports rich."""

from __future__ import annotations

from collections import Counter

from rich.console import Console
from rich.table import Table

from chaosnet.report.compare import Comparison, Outcome
from chaosnet.report.load import LoadedRun
from chaosnet.report.sweep import Sweep
from chaosnet.report.templating import format_value

OUTCOME_STYLE = {Outcome.BETTER: "green", Outcome.WORSE: "bold red", Outcome.MISSING: "yellow"}


def print_comparison(console: Console, c: Comparison, a_label: str, b_label: str) -> None:
    table = Table(title=f"{c.a_name}: A = {a_label}, B = {b_label}")
    for col in ("metric or assertion", "A", "B", "change", "better when", "outcome"):
        table.add_column(col)
    for r in c.rows:
        change = "" if r.change is None else f"{100 * r.change:+.1f}%"
        style = OUTCOME_STYLE.get(r.outcome, "")
        outcome = f"[{style}]{r.outcome}[/]" if style else str(r.outcome)
        table.add_row(
            r.name, format_value(r.a), format_value(r.b), change, r.direction.value, outcome
        )
    console.print(table)
    for note in c.notes:
        console.print(f"[yellow]note:[/] {note}")
    tolerance = f"{100 * c.tolerance:g}%"
    if c.regressions:
        names = ", ".join(r.name for r in c.regressions)
        console.print(f"[bold red]regressed past {tolerance}:[/] {names}")
    else:
        console.print(f"no regression past {tolerance}")


def print_sweep(console: Console, sweep: Sweep) -> None:
    for metric in sweep.metric_names:
        table = Table(title=f"{sweep.scenario}: {metric}")
        for col in (*sweep.parameters, "trials", "mean", "95% interval", "expected"):
            table.add_column(col)
        for point in sweep.points:
            e = point.metrics.get(metric)
            if e is None:
                continue
            table.add_row(
                *(format_value(point.parameters[p]) for p in sweep.parameters),
                str(e.n),
                format_value(e.mean),
                f"{format_value(e.low)} … {format_value(e.high)}",
                format_value(e.expected),
            )
        console.print(table)
        if metric in sweep.theory:
            console.print(f"expected: {sweep.theory[metric]}", highlight=False)


def print_partial(console: Console, run: LoadedRun) -> None:
    """What a damaged or interrupted run directory still tells."""
    console.print(f"[bold yellow]incomplete run directory[/] {run.path}")
    for problem in run.problems:
        console.print(f"  missing or damaged: {problem}", highlight=False)
    if run.records:
        kinds = Counter(str(r["kind"]) for r in run.records)
        last = max(float(r["t"]) for r in run.records)
        phases = [str(r.get("phase")) for r in run.records if r["kind"] == "phase"]
        console.print(
            f"journal: {len(run.records)} records up to t={last:.1f}s, last phase "
            f"{phases[-1] if phases else 'unknown'}; "
            + ", ".join(f"{k} {n}" for k, n in kinds.most_common()),
            highlight=False,
        )
        for r in run.records:
            if r["kind"] == "event" and r.get("action"):
                console.print(
                    f"  {float(r['actual'] or 0):7.2f}s {r['id']}: {r['action']} ({r['status']})",
                    markup=False,
                    highlight=False,
                )
