"""The journal of a run: every step recorded the same way, and the source of every report.

Records are plain JSON objects with `t` (seconds since the run's time zero) and `kind`; they are
appended to `events.jsonl` as they happen, so a run killed half-way still leaves its story.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from chaosnet.clock import REAL_CLOCK, Clock


class Journal:
    def __init__(self, path: Path, clock: Clock = REAL_CLOCK) -> None:
        """`clock`: the host's, or a simulated world's virtual one (then `t` is virtual too)."""
        self.path = path
        self.clock = clock
        self.t0_wall = clock.wall()
        self.t0 = clock.now()
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []
        self._by_kind: dict[str, list[dict[str, Any]]] = {}  # the live display asks by kind
        self._file = path.open("a", encoding="utf-8")

    def start_clock(self) -> None:
        """Time zero of the scenario: the moment every starting node answered."""
        with self._lock:
            self.t0_wall = self.clock.wall()
            self.t0 = self.clock.now()

    def now(self) -> float:
        return self.clock.now() - self.t0

    def wall_to_t(self, wall: float) -> float:
        """A node's wall-clock timestamp as run time (same host clock for processes and containers)."""
        return wall - self.t0_wall

    def record(self, kind: str, **fields: Any) -> dict[str, Any]:
        entry = {"t": round(self.now(), 4), "kind": kind, **fields}
        line = json.dumps(entry, default=str)
        with self._lock:
            self._records.append(entry)
            self._by_kind.setdefault(kind, []).append(entry)
            if not self._file.closed:
                self._file.write(line + "\n")
                self._file.flush()
        return entry

    def records(self, kind: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._records if kind is None else self._by_kind.get(kind, ()))

    def close(self) -> None:
        with self._lock:
            self._file.close()
