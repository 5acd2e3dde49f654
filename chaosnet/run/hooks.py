"""Observers of a run (the terminal progress display) hang off `RunHooks`; none can break a run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chaosnet.journal import Journal


@dataclass(frozen=True)
class ReorgSeen:
    """A reorg an honest or attacking node reported (the observer's `reorg` record)."""

    t: float
    node: str
    depth: int


@dataclass(frozen=True)
class AttackerShare:
    """An attacker's blocks on the honest nodes' best chain so far, against its hashrate."""

    name: str
    blocks: int  # blocks it mined on that chain
    chain: int  # blocks on that chain, genesis excluded
    hashrate: float  # its share of the network's hashrate
    persona: dict[str, Any] = field(default_factory=dict)  # what its persona last reported

    @property
    def share(self) -> float | None:
        return self.blocks / self.chain if self.chain else None


@dataclass
class Progress:
    """One look at a running scenario, as the live display shows it."""

    elapsed: float
    total: float
    heights: dict[str, int | None]
    faults: list[str]
    pending_assertions: int
    phase: str
    states: dict[str, str] = field(default_factory=dict)  # node → last node_state; absent: none
    slowed: list[str] = field(default_factory=list)
    sides: list[list[str]] = field(default_factory=list)  # a partition's sides, when clean
    partition: str | None = None  # the partition in force, as the plan labels it
    reorgs: list[ReorgSeen] = field(default_factory=list)  # the latest few, oldest first
    attackers: list[AttackerShare] = field(default_factory=list)


class RunHooks:
    """No-op observers of a run; the CLI overrides what it displays."""

    def on_phase(self, phase: str) -> None: ...

    def on_progress(self, progress: Progress) -> None: ...

    def on_event(self, record: dict[str, Any]) -> None: ...


def call_safely(journal: Journal, hook: Callable[..., None], *args: Any) -> None:
    """Call an observer's hook; whatever it raises is journalled, never propagated."""
    try:
        hook(*args)
    except Exception as exc:
        journal.record("observer_error", error=f"hook {hook!r}: {exc!r}")
