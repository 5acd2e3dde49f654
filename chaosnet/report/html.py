"""`report.html`: one self-contained page per run (plots inlined as SVG, no scripts, nothing
fetched), rendered from the run directory alone.

`write_html(run_dir)` is what the runner calls at the end of every run; `chaosnet report RUN_DIR
--format html` calls it too. A damaged run directory still gets a page: what could be read is
shown, and a banner lists what is missing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from markupsafe import Markup

from chaosnet.report import plots, series
from chaosnet.report.attack import attack_view, attacker_names, chain_shares, hashrate_shares
from chaosnet.report.context import RunContext, context_from_replay
from chaosnet.report.forks import find_forks
from chaosnet.report.load import LoadedRun, load_run
from chaosnet.report.templating import template_environment

TPS_BIN_S = 5.0
KNOWN_METRICS = {
    "blocks",
    "final_height",
    "converged",
    "convergence",
    "tps",
    "txs_submitted",
    "txs_confirmed",
    "propagation",
    "reorgs",
    "sync_times",
    "memory",
    "max_down_fraction",
    "link_bytes",
    "load",
}


def write_html(run_dir: Path, out: Path | None = None) -> Path:
    """Render `run_dir` into `out` (default `run_dir/report.html`) and return the page's path.

    Raises `UsageError` only when `run_dir` holds nothing of a run; a partial run is rendered.
    """
    run = load_run(run_dir)
    target = out or run_dir / "report.html"
    target.write_text(render_html(run, link_base=_relative(run_dir, target.parent)))
    return target


def _relative(run_dir: Path, page_dir: Path) -> str:
    rel = os.path.relpath(run_dir.resolve(), page_dir.resolve())
    return "" if rel == "." else rel.rstrip("/") + "/"


def render_html(run: LoadedRun, link_base: str = "") -> str:
    problems = list(run.problems)
    context = context_from_replay(run.replay, problems)
    view = build_view(run, context, link_base)
    view["problems"] = problems
    return template_environment().get_template("report.html.j2").render(**view)


def build_view(run: LoadedRun, context: RunContext | None, link_base: str) -> dict[str, Any]:
    results = run.results or {}
    records = run.records
    metrics: dict[str, Any] = results.get("metrics") or {}
    nodes: dict[str, Any] = results.get("nodes") or {}
    end = max(series.run_end(records), float(results.get("duration_s") or 0.0))
    attackers = attacker_names(nodes, context)
    honest = (
        list(context.plan.honest)
        if context
        else [n for n, v in nodes.items() if v.get("role") != "attacker"]
        or sorted({str(r["node"]) for r in records if r["kind"] == "sample"} - attackers)
    )
    bands = series.fault_bands(records, end, attackers)
    forks = find_forks(records, honest, bands)
    coverage = float((metrics.get("propagation") or {}).get("coverage") or 0.9)
    scenario = results.get("scenario") or {}
    name = scenario.get("name") or (context.plan.scenario.name if context else run.path.name)
    return {
        "title": f"chaosnet · {name}",
        "name": name,
        "description": scenario.get("description")
        or (context.plan.scenario.description if context else ""),
        "verdict": results.get("verdict") or "incomplete",
        "results": results,
        "facts": _facts(run, results, context),
        "assertions": results.get("assertions") or _journal_assertions(records),
        "forks": forks,
        "convergence": metrics.get("convergence") or [],
        "bands": bands,
        "timeline": results.get("timeline") or _journal_timeline(records),
        "plots": _plots(records, metrics, context, bands, honest, coverage, end, attackers),
        "metrics": _metric_rows(metrics),
        "extra_metrics": {k: v for k, v in metrics.items() if k not in KNOWN_METRICS},
        "attack": attack_view(records, results, context, attackers),
        "scenario_text": context.scenario_text
        if context
        else (run.replay or {}).get("scenario_text"),
        "replay_command": f"chaosnet run --replay {run.path}/replay.json" if run.replay else None,
        "logs": [f"{link_base}logs/{p.name}" for p in run.logs],
        "observer_errors": [
            (float(r["t"]), str(r.get("error"))) for r in records if r["kind"] == "observer_error"
        ],
        "run_dir": str(run.path),
    }


def _facts(
    run: LoadedRun, results: dict[str, Any], ctx: RunContext | None
) -> list[tuple[str, Any]]:
    seed = results.get("seed", (run.replay or {}).get("seed"))
    return [
        ("seed", seed),
        ("backend", results.get("backend")),
        ("started", results.get("started_at")),
        ("duration", f"{results['duration_s']:.1f}s" if "duration_s" in results else None),
        (
            "schedule digest",
            results.get("schedule_digest", (run.replay or {}).get("schedule_digest")),
        ),
        ("chaosnet", results.get("chaosnet_version")),
        ("nodes", len(ctx.plan.nodes) if ctx else len(results.get("nodes") or {}) or None),
        ("exit code", results.get("exit_code")),
    ]


def _journal_assertions(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r["result"] for r in records if r["kind"] == "assertion" and "result" in r]


def _journal_timeline(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": r.get("id"),
            "action": r.get("action", ""),
            "trigger": None,
            "planned_s": r.get("planned"),
            "actual_s": r.get("actual"),
            "drift_ms": r.get("drift_ms"),
            "status": r.get("status"),
            "detail": r.get("detail"),
        }
        for r in records
        if r["kind"] == "event"
    ]


def _metric_rows(metrics: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    for key in (
        "final_height",
        "blocks",
        "converged",
        "tps",
        "txs_submitted",
        "txs_confirmed",
        "max_down_fraction",
    ):
        if key in metrics:
            rows.append((key.replace("_", " "), metrics[key]))
    for group in ("propagation", "reorgs", "load", "sync_times"):
        for key, value in (metrics.get(group) or {}).items():
            rows.append((f"{group.replace('_', ' ')} {key}", value))
    return rows


def _plots(
    records: list[dict[str, Any]],
    metrics: dict[str, Any],
    context: RunContext | None,
    bands: list[series.Band],
    honest: list[str],
    coverage: float,
    end: float,
    attackers: set[str],
) -> list[dict[str, str]]:
    out = []

    def add(key: str, caption: str, svg: str) -> None:
        out.append({"id": f"plot-{key}", "caption": caption, "svg": Markup(svg)})

    heights = series.heights_by_node(records)
    if heights:
        add(
            "heights",
            "Each node's block height over run time, and below it how many different tips "
            "the honest nodes held (more than one: a fork). Shaded bands are the faults in "
            "force; dotted lines the timeline's events; crosses the reorgs.",
            plots.heights_plot(
                heights,
                series.distinct_tips(records, honest),
                bands,
                series.reorg_marks(records),
                series.event_marks(records),
            ),
        )
    if series.main_chain(records):
        _flow_plots(records, context, honest, coverage, end, add)
    memory = series.memory_by_node(records)
    if memory:
        add("memory", "Resident memory of each node's process.", plots.memory_plot(memory))
    link_bytes: dict[str, int] = metrics.get("link_bytes") or next(
        (r["bytes"] for r in reversed(records) if r["kind"] == "link_bytes"), {}
    )
    if link_bytes:
        names, matrix = series.link_matrix(link_bytes)
        add(
            "links",
            "Bytes each directed link carried through its Toxiproxy proxy (row: "
            "sender, column: receiver).",
            plots.link_matrix_plot(names, matrix),
        )
    shares = chain_shares(records, context)
    if attackers and shares and context:
        add(
            "shares",
            "Each miner's share of the final chain's blocks next to its share of the hashrate.",
            plots.share_plot(shares, hashrate_shares(context)),
        )
    return out


def _flow_plots(
    records: list[dict[str, Any]],
    context: RunContext | None,
    honest: list[str],
    coverage: float,
    end: float,
    add: Callable[[str, str, str], None],
) -> None:
    """How blocks and transactions moved: the propagation CDF, confirmed against offered TPS."""
    times = series.propagation_times(records, honest, coverage)
    add(
        "propagation",
        "Share of main-chain blocks that reached the coverage share of honest "
        "nodes within x seconds (blocks first seen during a partition are left out).",
        plots.propagation_cdf_plot(times, coverage),
    )
    load = context.plan.scenario.load if context else None
    offered = series.offered_tps(load, end, TPS_BIN_S) if load and load.tps > 0 else []
    confirmed = series.confirmed_tps(records, TPS_BIN_S)
    if offered or any(v for _, v in confirmed):
        add(
            "tps",
            f"Transactions of the final chain per second in {TPS_BIN_S:g}s bins (by when "
            "their block first appeared), against the rate the load generator was told to "
            "send.",
            plots.tps_plot(confirmed, offered),
        )
