"""The jinja2 environment every HTML page shares: templates from `chaosnet/report/templates/`,
autoescaping on, and the `num` filter that shows values the same way on every page."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape


def template_environment() -> Environment:
    env = Environment(
        loader=PackageLoader("chaosnet.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_value
    return env


def format_value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
