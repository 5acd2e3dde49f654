"""The shrinker on its own, judged by rules instead of runs: it must find the one fault that
matters among many, move it as early and make it as mild as the rule allows, never hand back a
schedule it did not see fail, and stop when its budget of runs is spent."""

from __future__ import annotations

import pytest

from chaosnet.explore.faults import Fault
from chaosnet.explore.shrink import Shrinker


def partition(at: float, length: float, side: str = "n3") -> Fault:
    others = tuple(n for n in ("n1", "n2", "n3") if n != side)
    return Fault("partition", at, length, 2.0, 2.0, sides=(others, (side,)))


def crash(at: float, node: str) -> Fault:
    return Fault("crash", at, 3.0, 2.0, 0.5, node=node)


def deep_partition_of_n3(faults: list[Fault]) -> bool:
    """The rule standing in for a run: it fails when n3 is cut off for 9 s or more."""
    return any(f.kind == "partition" and f.sides[-1] == ("n3",) and f.length >= 9 for f in faults)


DRAWN = [
    crash(4.9, "n1"),
    partition(8.4, 8.1, side="n1"),
    crash(10.8, "n2"),
    partition(16.8, 14.0),
    crash(20.0, "n3"),
]


def test_shrinks_to_the_one_fault_that_fails_earliest_and_mildest() -> None:
    seen: list[list[Fault]] = []

    def fails(faults: list[Fault]) -> bool:
        seen.append(faults)
        return deep_partition_of_n3(faults)

    shrinker = Shrinker(DRAWN, fails, budget=60)
    (minimal,) = shrinker.shrink()
    assert minimal.sides[-1] == ("n3",)
    assert minimal.at == 2.0, "nothing stops it moving back to the chaos start"
    assert 9.0 <= minimal.length <= 9.0 + (14.0 - 2.0) / 8, "bisected to within 1/8 of the span"
    assert shrinker.runs == len(seen) <= 20
    assert len({tuple(s) for s in seen}) == len(seen), "no schedule is run twice"


def test_a_partition_never_moves_into_the_one_before_it() -> None:
    def both_needed(faults: list[Fault]) -> bool:
        return len([f for f in faults if f.kind == "partition"]) == 2

    first, second = partition(3.0, 5.0, side="n1"), partition(12.0, 4.0)
    shrunk = Shrinker([first, second], both_needed, budget=60).shrink()
    assert [f.at for f in shrunk] == [2.0, pytest.approx(7.0, abs=1.5)]
    assert shrunk[0].end <= shrunk[1].at, "a heal heals every partition: they must not overlap"


def test_a_spent_budget_hands_back_the_smallest_schedule_seen_failing() -> None:
    runs: list[bool] = []

    def fails(faults: list[Fault]) -> bool:
        runs.append(deep_partition_of_n3(faults))
        return runs[-1]

    shrunk = Shrinker(DRAWN, fails, budget=3).shrink()
    assert len(runs) == 3
    assert deep_partition_of_n3(shrunk), "best is always a schedule that failed (or the drawn one)"
    assert len(shrunk) < len(DRAWN)


def test_a_failure_that_needs_no_fault_shrinks_to_none() -> None:
    assert Shrinker(DRAWN, lambda faults: True, budget=60).shrink() == []
