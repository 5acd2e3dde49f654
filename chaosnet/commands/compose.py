"""`chaosnet compose`: a docker-compose file for a scenario's topology (no Toxiproxy, no faults)."""

from __future__ import annotations

from pathlib import Path

import typer

from chaosnet.backends.compose import compose_file, ring_topology
from chaosnet.errors import UsageError
from chaosnet.plan import resolve
from chaosnet.scenario import load_scenario
from chaosnet.specs import ChainSpec, NodeSpec


def compose(
    scenario: Path | None = typer.Argument(
        None, help="A scenario: its nodes, topology, miners and chain settings.", show_default=False
    ),
    nodes: int | None = typer.Option(
        None, "--nodes", min=1, help="Without a scenario: how many nodes (a ring topology)."
    ),
    miners: int = typer.Option(1, "--miners", min=0, help="With --nodes: the first N nodes mine."),
    seed: int | None = typer.Option(None, "--seed", help="Overrides the scenario's seed."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write here instead of stdout."),
) -> None:
    """Write a docker-compose file with the same nodes and links as a scenario (or N nodes).

    Each service runs the node image with the original plan's flags
    (`--port=8001 --peers=node2:8002,node3:8003`), so the same network can be started by hand with
    `docker compose up`. Faults need `chaosnet run --backend docker`.
    """
    topology, chain, specs = _from_scenario(scenario, seed) if scenario else _ring(nodes, miners)
    text = compose_file(topology, chain, specs)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(
            f"wrote {out}: `docker compose -f {out} up` (build images first: chaosnet images build)"
        )


def _from_scenario(
    path: Path, seed: int | None
) -> tuple[dict[str, list[str]], ChainSpec, dict[str, NodeSpec]]:
    plan = resolve(load_scenario(path), seed)
    topology = {spec.name: list(spec.neighbours) for spec in plan.nodes}
    return topology, plan.chain, {spec.name: spec for spec in plan.nodes}


def _ring(
    nodes: int | None, miners: int
) -> tuple[dict[str, list[str]], ChainSpec, dict[str, NodeSpec]]:
    if nodes is None:
        raise UsageError("give a scenario file, or --nodes N for a ring of N nodes")
    if miners > nodes:
        raise UsageError(f"--miners {miners} is more than --nodes {nodes}")
    topology = ring_topology(nodes)
    share = 1.0 / miners if miners else 0.0
    specs = {
        name: NodeSpec(name, tuple(peers), mine=i < miners, hashrate=share)
        for i, (name, peers) in enumerate(topology.items())
    }
    return topology, ChainSpec(), specs


def register(app: typer.Typer) -> None:
    app.command(help="Write a docker-compose file for a scenario's topology (no faults).")(compose)
