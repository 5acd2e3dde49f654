"""The terminal face of a run: live progress while it runs, the verdict table after.

The only module of the runner that imports rich's live display; it hangs off `RunHooks`, so a
broken display can never break a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from chaosnet.load.accounting import describe, kept_up
from chaosnet.plan import Plan, describe_trigger
from chaosnet.runner import Progress, RunHooks


class LiveProgress(RunHooks):
    """The live view on a terminal (see `render_progress`); plain lines when piped."""

    def __init__(self, console: Console, plan: Plan) -> None:
        self.console = console
        self.plan = plan
        self.live = Live(console=console, refresh_per_second=4, transient=True)
        self.last: Progress | None = None
        self.phase = "setup"

    def __enter__(self) -> LiveProgress:
        if self.console.is_terminal:
            self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.console.is_terminal:
            self.live.__exit__(None, None, None)

    def on_phase(self, phase: str) -> None:
        self.phase = phase
        if not self.console.is_terminal:
            self.console.print(f"phase: {phase}", markup=False, highlight=False)
        self._render()

    def on_progress(self, progress: Progress) -> None:
        self.last = progress
        self._render()

    def on_event(self, record: dict[str, Any]) -> None:
        drift = record.get("drift_ms")
        drift_s = f" (drift {drift:+.0f}ms)" if drift is not None else ""
        mark = "✓" if record["status"] == "done" else "✗"
        line = f"{record['actual']:7.2f}s {mark} {record['id']}: {record['action']}{drift_s}"
        if record.get("detail"):
            line += f" — {record['detail']}"
        self.console.print(line, markup=False, highlight=False)

    def _render(self) -> None:
        if not self.console.is_terminal:
            return
        head = Text(f"{self.plan.scenario.name} — {self.phase}", style="bold")
        if self.last is None:
            self.live.update(head)
        else:
            self.live.update(Group(head, render_progress(self.last)))


# what a node's last `node_state` means to someone watching
STATE_WORDS = {
    "started": "up",
    "restarted": "up",
    "resumed": "up",
    "joined": "up",
    "attack started": "up",
    "crashed": "down (crashed)",
    "paused": "paused",
    "stopped": "down (left)",
    "attack stopped": "down (attack stopped)",
}


def node_state(p: Progress, node: str) -> str:
    """`up`, `slowed`, `paused`, `down (crashed)`, `down (left)`, `not started`…"""
    state = p.states.get(node)
    if state is None:
        return "not started"
    word = STATE_WORDS.get(state, state)
    return "slowed" if word == "up" and node in p.slowed else word


def render_progress(p: Progress) -> Group:
    """Progress bar, one row per node (height, state, partition side), the partition, other
    faults, the latest reorgs, attackers' shares so far and the assertions pending."""
    width = 30
    done = min(1.0, p.elapsed / p.total) if p.total else 1.0
    bar = "█" * int(done * width) + "░" * (width - int(done * width))
    side_of = {n: f"side {i + 1}" for i, side in enumerate(p.sides) for n in side}
    nodes = Table.grid(padding=(0, 2))
    nodes.add_row(*(Text(h, style="dim") for h in ("node", "height", "state", "side")))
    for name, height in p.heights.items():  # in the plan's order: n2 before n10
        shown = "-" if height is None else str(height)
        nodes.add_row(name, shown, node_state(p, name), side_of.get(name, ""))
    lines: list[RenderableType] = [Text(f"{bar} {p.elapsed:5.1f}s / {p.total:.0f}s"), nodes]
    if p.partition:
        sides = " | ".join(",".join(side) for side in p.sides) if p.sides else p.partition
        lines.append(Text(f"partition: {sides}"))
    links = [f for f in p.faults if f != p.partition and f.split(" ")[0] not in p.heights]
    lines.append(Text("link faults: " + (", ".join(links) if links else "none")))
    reorgs = [f"{r.t:.1f}s {r.node} depth {r.depth}" for r in sorted(p.reorgs, key=lambda r: r.t)]
    lines.append(Text("reorgs: " + (" · ".join(reorgs) if reorgs else "none yet")))
    for a in p.attackers:
        share = f" ({a.share:.0%})" if a.share is not None else ""
        lines.append(
            Text(
                f"attacker {a.name}: {a.blocks} of {a.chain} blocks on the honest chain{share}"
                f" · hashrate {a.hashrate:.0%}"
            )
        )
        if a.persona:
            said = ", ".join(f"{k} {v}" for k, v in a.persona.items())
            lines.append(Text(f"  its persona says: {said}", style="dim"))
    lines.append(Text(f"assertions pending: {p.pending_assertions}", style="dim"))
    return Group(*lines)


def print_plan(console: Console, plan: Plan) -> None:
    """What `--dry-run` shows: nodes, topology and the resolved schedule."""
    s = plan.scenario
    console.print(
        f"[bold]{s.name}[/] seed={plan.seed} duration={s.duration:g}s "
        f"schedule={plan.schedule_digest()}"
    )
    nodes = Table(title="nodes")
    for col in ("node", "role", "hashrate", "neighbours", "starts"):
        nodes.add_column(col)
    for spec, node in zip(plan.nodes, s.nodes, strict=True):
        nodes.add_row(
            spec.name,
            node.role.value + (f" ({spec.persona})" if spec.persona else ""),
            f"{spec.hashrate:.0%}" if spec.mine else "-",
            ",".join(spec.neighbours),
            "yes" if spec.name in plan.starting else "later (join or attack start)",
        )
    console.print(nodes)
    timeline = Table(title="timeline")
    for col in ("id", "when", "action", "origin"):
        timeline.add_column(col)
    for event in plan.events:
        timeline.add_row(event.id, describe_trigger(event.trigger), event.describe(), event.origin)
    console.print(timeline)


def print_verdict(
    console: Console,
    results: dict[str, Any],
    run_dir: Path,
    log_tails: dict[str, list[str]] | None = None,
) -> None:
    """The verdict table from a run's results (live, or read back by `chaosnet report`)."""
    table = Table(title=f"verdict: {results['verdict'].upper()}")
    for col in ("assertion", "", "measured", "bound", "detail"):
        table.add_column(col)
    for a in results["assertions"]:
        mark = "[green]pass[/]" if a["passed"] else "[red]FAIL[/]"
        measured = a["measured"]
        shown = (
            "-"
            if measured is None
            else f"{measured:.4g}"
            if isinstance(measured, float)
            else str(measured)
        )
        table.add_row(a["name"], mark, shown, a["bound"], a.get("detail", ""))
    console.print(table)
    m = results["metrics"]
    prop, reorgs = m.get("propagation") or {}, m.get("reorgs") or {}
    console.print(
        f"height {m.get('final_height')} · blocks {m.get('blocks')} · tps {m.get('tps')} · "
        f"propagation p50 {prop.get('p50')} p90 {prop.get('p90')} · reorgs {reorgs.get('count')} "
        f"(max depth {reorgs.get('max_depth')})",
        highlight=False,
    )
    if m.get("load"):
        print_load(console, m["load"])
    for node, lines in (log_tails or {}).items():
        console.print(f"[bold]--- last lines of {node} ---[/]")
        for line in lines[-8:]:
            console.print(line, markup=False, highlight=False)
    if results.get("error"):
        console.print(Text("error: ", style="red") + Text(results["error"]))  # not markup
    console.print(f"run directory: {run_dir}")


def print_load(console: Console, counts: dict[str, int]) -> None:
    """Offered, submitted and confirmed side by side; a generator that fell behind is named."""
    console.print(Text("load: " + describe(counts)))
    if not kept_up(counts):
        console.print(
            Text(
                "the load generator did not keep up: the network was not tested at the offered "
                "rate (see `late` and `never sent`)",
                style="yellow",
            )
        )
