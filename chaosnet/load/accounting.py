"""What became of the offered load: offered → submitted → confirmed, and what fell out on the way.

`offered` is what the scenario's rate asks for over the load window; only `submitted`
transactions ever reached a node. A generator that falls behind leaves transactions `late` (sent
over a second after their planned time) or never sends them at all (`unsent`), and the verdict must
say so: "11,038 of 22,500 offered submitted (49 %), 9,988 late" never reads as "all confirmed".
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

LATE_AFTER = 1.0  # seconds behind plan after which a transaction counts as late
KEPT_UP = 0.95  # share of the offered load that must leave the tool, on time, to have kept up


@dataclass
class LoadStats:
    offered: int = 0
    submitted: int = 0  # accepted by a node
    rejected: int = 0  # refused by a node
    unreachable: int = 0  # no running node answered
    late: int = 0  # sent more than LATE_AFTER seconds after their planned time
    confirmed: int | None = None  # submitted and in the honest nodes' final chain; after the run
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @property
    def unsent(self) -> int:
        """Offered but never sent: the run ended while the generator was behind."""
        return max(0, self.offered - self.submitted - self.rejected - self.unreachable)

    def add(
        self, submitted: int = 0, rejected: int = 0, unreachable: int = 0, late: int = 0
    ) -> None:
        """Count the outcome of one batch (called from the generator's sending threads)."""
        with self._lock:
            self.submitted += submitted
            self.rejected += rejected
            self.unreachable += unreachable
            self.late += late

    def to_json(self) -> dict[str, int]:
        """results.json `metrics.load`: every count, side by side."""
        counts = {
            "offered": self.offered,
            "submitted": self.submitted,
            "rejected": self.rejected,
            "unreachable": self.unreachable,
            "late": self.late,
            "unsent": self.unsent,
        }
        if self.confirmed is not None:
            counts["confirmed"] = self.confirmed
        return counts


def describe(counts: dict[str, int]) -> str:
    """`11,038 of 22,500 offered submitted (49 %), 9,988 late, 11,038 confirmed`.

    Reads `metrics.load` of results.json (a `LoadStats.to_json()`); a count missing from an older
    file is left out rather than guessed.
    """
    offered, submitted = counts.get("offered"), counts.get("submitted", 0)
    if offered:
        share = f"{100 * submitted / offered:.0f} %"
        parts = [f"{submitted:,} of {offered:,} offered submitted ({share})"]
    else:
        parts = [f"{submitted:,} submitted"]
    for key, label in (
        ("late", "late"),
        ("unsent", "never sent"),
        ("rejected", "rejected"),
        ("unreachable", "unreachable"),
    ):
        if counts.get(key):
            parts.append(f"{counts[key]:,} {label}")
    if counts.get("confirmed") is not None:
        parts.append(f"{counts['confirmed']:,} confirmed")
    return ", ".join(parts)


def kept_up(counts: dict[str, int]) -> bool:
    """At least 95 % of the offered load submitted and at most 5 % of it late."""
    offered = counts.get("offered") or 0
    submitted, late = counts.get("submitted", 0), counts.get("late", 0)
    return submitted >= KEPT_UP * offered and late <= (1 - KEPT_UP) * offered
