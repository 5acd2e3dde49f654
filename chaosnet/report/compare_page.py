"""The comparison of two runs as one self-contained HTML page (`chaosnet report --compare A B
--format html`)."""

from __future__ import annotations

from chaosnet.report.compare import Comparison
from chaosnet.report.templating import template_environment


def render_compare_html(comparison: Comparison) -> str:
    return (
        template_environment()
        .get_template("compare.html.j2")
        .render(c=comparison, title=f"chaosnet · {comparison.a_name} compared")
    )
