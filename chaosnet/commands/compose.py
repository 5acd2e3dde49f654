"""`chaosnet compose`: a docker-compose file for N nodes (no Toxiproxy, no faults)."""

from __future__ import annotations

from pathlib import Path

import typer

from chaosnet.backends.base import ChainSpec, NodeSpec
from chaosnet.backends.compose import compose_file, ring_topology
from chaosnet.errors import UsageError


def compose(
    nodes: int = typer.Option(..., "--nodes", min=1, help="How many nodes (a ring topology)."),
    miners: int = typer.Option(1, "--miners", min=0, help="The first N nodes mine."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write here instead of stdout."),
) -> None:
    """Write a docker-compose file: nodeK on port 800K, peers its ring neighbours."""
    if miners > nodes:
        raise UsageError(f"--miners {miners} is more than --nodes {nodes}")
    topology = ring_topology(nodes)
    share = 1.0 / miners if miners else 0.0
    specs = {
        name: NodeSpec(name, tuple(peers), mine=i < miners, hashrate=share)
        for i, (name, peers) in enumerate(topology.items())
    }
    text = compose_file(topology, ChainSpec(), specs)
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(
            f"wrote {out}: `docker compose -f {out} up` (build images first: chaosnet images build)"
        )


def register(app: typer.Typer) -> None:
    app.command(help="Write a docker-compose file for a topology (fault-free; no Toxiproxy).")(
        compose
    )
