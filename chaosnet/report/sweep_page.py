"""A sweep directory as one self-contained HTML page: a table per metric and a plot of the
measured means with their 95 % intervals against the closed-form expectation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from markupsafe import Markup

from chaosnet.report import plots
from chaosnet.report.sweep import Sweep
from chaosnet.report.templating import template_environment


def render_sweep_html(sweep: Sweep) -> str:
    parameter = sweep.parameters[0]
    figures: list[dict[str, Any]] = []
    for metric in sweep.metric_names:
        numeric = [(x, e) for x, e in sweep.series(metric) if isinstance(x, int | float)]
        svg = Markup(plots.sweep_plot(parameter, metric, numeric)) if numeric else None
        figures.append({"id": f"plot-{metric}", "metric": metric, "svg": svg})
    return (
        template_environment()
        .get_template("sweep.html.j2")
        .render(sweep=sweep, figures=figures, title=f"chaosnet sweep · {sweep.scenario}")
    )


def write_sweep_html(sweep: Sweep, out: Path | None = None) -> Path:
    target = out or sweep.path / "report.html"
    target.write_text(render_sweep_html(sweep))
    return target
