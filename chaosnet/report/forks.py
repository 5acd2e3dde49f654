"""Forks as a reader wants them explained: when the honest nodes stopped agreeing on one tip, for
how long, which faults were in force when it began, and how long after that fault ended the
nodes agreed again.

A disagreement shorter than `MIN_FORK_S` is ordinary block propagation, not a fork.
"""

from __future__ import annotations

from dataclasses import dataclass

from chaosnet.observe.metrics import Record
from chaosnet.report.series import Band, reorg_marks

MIN_FORK_S = 2.0
SLACK_S = 1.0  # a fault that began this long before the disagreement still counts as its cause


@dataclass(frozen=True)
class Fork:
    start: float
    end: float | None  # None: the honest nodes never agreed again before the journal ended
    tips: int  # most distinct tips at once
    causes: tuple[Band, ...]
    reorgs: int
    reorg_depth: int

    @property
    def duration(self) -> float | None:
        return None if self.end is None else self.end - self.start

    def cause_text(self) -> str:
        if not self.causes:
            return "no fault in force: blocks mined concurrently (a natural fork)"
        return ", ".join(f"{b.label} (t={b.start:.1f}s to {b.end:.1f}s)" for b in self.causes)

    def convergence_text(self) -> str:
        if self.end is None:
            return "the honest nodes had not agreed again when the journal ended"
        ended = [b.end for b in self.causes if b.end <= self.end]
        text = f"agreed again after {self.end - self.start:.1f}s (t={self.end:.1f}s)"
        if ended:
            last = max(ended)
            text += f", {self.end - last:.1f}s after the fault ended"
        return text


def find_forks(records: list[Record], honest: list[str], bands: list[Band]) -> list[Fork]:
    """Disagreements among the running honest nodes that lasted at least `MIN_FORK_S`."""
    tips: dict[str, str] = {}
    up: set[str] = set()
    opened: float | None = None
    most = 1
    spans: list[tuple[float, float | None, int]] = []
    for r in records:
        node = r.get("node")
        if r["kind"] == "node_state" and node in honest:
            if r["state"] in ("crashed", "paused", "stopped"):
                up.discard(node)
                tips.pop(node, None)
            else:
                up.add(node)
        if r["kind"] != "sample" or node not in honest:
            continue
        up.add(node)
        tips[node] = str(r["tip"])
        distinct = len({tips[n] for n in up if n in tips})
        t = float(r["t"])
        if distinct > 1:
            if opened is None:
                opened, most = t, distinct
            most = max(most, distinct)
        elif opened is not None:
            spans.append((opened, t, most))
            opened = None
    if opened is not None:
        spans.append((opened, None, most))
    reorgs = [(t, depth) for t, node, depth in reorg_marks(records) if node in honest]
    forks = []
    for start, end, most in spans:
        last = end if end is not None else max((float(r["t"]) for r in records), default=start)
        if last - start < MIN_FORK_S:
            continue
        causes = tuple(b for b in bands if b.start - SLACK_S <= start < b.end + SLACK_S)
        inside = [d for t, d in reorgs if start <= t <= last + SLACK_S]
        forks.append(Fork(start, end, most, causes, len(inside), max(inside, default=0)))
    return forks
