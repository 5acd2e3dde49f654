"""Judging one metric of two runs: direction, tolerance and noise floor."""

from __future__ import annotations

import pytest

from chaosnet.commands.report import parse_tolerance
from chaosnet.errors import UsageError
from chaosnet.report.compare import Direction, Outcome, assertion_direction, judge


@pytest.mark.parametrize(
    ("a", "b", "direction", "expected"),
    [
        (20.0, 15.0, Direction.HIGHER, Outcome.WORSE),  # TPS fell 25 %
        (20.0, 25.0, Direction.HIGHER, Outcome.BETTER),
        (20.0, 19.0, Direction.HIGHER, Outcome.UNCHANGED),  # within 10 %
        (1.0, 2.0, Direction.LOWER, Outcome.WORSE),  # propagation doubled
        (2.0, 1.0, Direction.LOWER, Outcome.BETTER),
        (5, 9, Direction.NEUTRAL, Outcome.CHANGED),  # informational: never a regression
        (True, False, Direction.HIGHER, Outcome.WORSE),  # converged, then not
        (None, 3.0, Direction.LOWER, Outcome.MISSING),
        (None, None, Direction.LOWER, Outcome.UNCHANGED),
    ],
)
def test_judge(a: object, b: object, direction: Direction, expected: Outcome) -> None:
    assert judge(a, b, direction, tolerance=0.1, slack=0.0) is expected


def test_a_change_within_the_noise_floor_is_unchanged() -> None:
    assert judge(0.05, 0.3, Direction.LOWER, tolerance=0.1, slack=0.5) is Outcome.UNCHANGED
    assert judge(0.05, 2.05, Direction.LOWER, tolerance=0.1, slack=0.5) is Outcome.WORSE


def test_from_zero_any_change_past_the_floor_counts() -> None:
    assert judge(0, 3, Direction.LOWER, tolerance=0.5, slack=2) is Outcome.WORSE


@pytest.mark.parametrize(
    ("bound", "direction"),
    [("<= 2s", Direction.LOWER), (">= 10", Direction.HIGHER), ("== 0 reversed", Direction.LOWER)],
)
def test_an_assertions_bound_gives_its_direction(bound: str, direction: Direction) -> None:
    assert assertion_direction(bound) is direction


def test_tolerance_accepts_percent_or_share() -> None:
    assert parse_tolerance("10%") == pytest.approx(0.1)
    assert parse_tolerance("0.25") == pytest.approx(0.25)
    for bad in ("ten", "150%", "-1"):
        with pytest.raises(UsageError):
            parse_tolerance(bad)
