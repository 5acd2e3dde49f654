"""Observers of a run (the terminal progress display) hang off `RunHooks`; none can break a run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chaosnet.journal import Journal


@dataclass
class Progress:
    elapsed: float
    total: float
    heights: dict[str, int | None]
    faults: list[str]
    pending_assertions: int
    phase: str


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
