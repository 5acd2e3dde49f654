"""What a run is made of, as the backends and the fault layer see it: nodes, chain, link settings.

These types sit below both `backends/` and `faults/`, so neither has to import the other to speak
about a node or a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class NodeSpec:
    """One node as the backend starts it: identity, role flags, and its topology neighbours."""

    name: str
    neighbours: tuple[str, ...]
    mine: bool = False
    hashrate: float = 0.0
    persona: str | None = None
    persona_args: tuple[tuple[str, str], ...] = ()
    prune: int | None = None
    extra_args: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChainSpec:
    """Chain settings every node of a run shares."""

    difficulty: int = 12
    block_interval: float = 2.0
    mining: str = "simulated"
    reward: int = 50
    genesis_accounts: int = 100
    seed: int = 0


@dataclass(frozen=True)
class LinkFault:
    """What one directed link should look like; all-zero means a clean link."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    loss: float = 0.0
    bandwidth_kbps: float | None = None


@dataclass(frozen=True)
class NodeStats:
    rss_bytes: int | None
    cpu_percent: float | None = None


@dataclass
class Endpoint:
    """How the runner reaches a node's HTTP API from where the runner runs."""

    name: str
    url: str
    extra: dict[str, str] = field(default_factory=dict)
