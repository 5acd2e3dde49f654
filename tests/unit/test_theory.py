"""The closed forms attack runs are compared with, checked against the published tables."""

from __future__ import annotations

import math

import pytest

from chaosnet.theory import (
    Z_95,
    Interval,
    double_spend_nakamoto,
    double_spend_rosenfeld,
    expected_rate_interval,
    mean_interval,
    selfish_revenue,
    selfish_revenue_within,
    selfish_threshold,
    stale_rate,
    student_t_95,
    wilson_interval,
)


@pytest.mark.parametrize(
    ("q", "z", "published"),
    [(0.1, 6, 0.0002428), (0.3, 5, 0.1773523), (0.1, 0, 1.0)],
)
def test_nakamoto_matches_the_whitepaper_table(q: float, z: int, published: float) -> None:
    assert double_spend_nakamoto(q, z) == pytest.approx(published, abs=5e-8)


@pytest.mark.parametrize(("q", "z", "published"), [(0.3, 6, 0.1564), (0.1, 6, 0.000591)])
def test_rosenfeld_matches_his_table(q: float, z: int, published: float) -> None:
    assert double_spend_rosenfeld(q, z) == pytest.approx(published, abs=5e-5 * max(1, published))


def test_rosenfeld_gives_the_attacker_more_than_nakamoto_at_depth() -> None:
    for q in (0.1, 0.25, 0.3):
        for z in (3, 6):
            assert double_spend_rosenfeld(q, z) > double_spend_nakamoto(q, z)


def test_a_majority_attacker_always_succeeds() -> None:
    assert double_spend_nakamoto(0.5, 6) == 1.0
    assert double_spend_rosenfeld(0.6, 100) == 1.0


@pytest.mark.parametrize(("alpha", "published"), [(0.25, 0.1951), (0.4, 0.4837)])
def test_selfish_revenue_matches_eyal_sirer(alpha: float, published: float) -> None:
    assert selfish_revenue(alpha, 0.0) == pytest.approx(published, abs=5e-5)


def test_a_run_of_two_blocks_has_the_share_worked_out_by_hand() -> None:
    # k blocks exactly, from Poisson(k) weights: 1 block is the attacker's with chance a; of 2,
    # AA: a lead of 2 published at the end (1); AH: a tie left open, the honest side kept (0);
    # HA: one each (1/2); HH: 0
    a = 0.3
    one, two = a, a * a + (1 - a) * a / 2
    blocks = 0.5
    weights = [blocks**k / math.factorial(k) for k in (1, 2)]
    rest = selfish_revenue_within(a, 0.0, blocks)  # k >= 3 adds the remainder
    lower = (weights[0] * one + weights[1] * two) / (math.exp(blocks) - 1)
    assert lower < rest < lower + 1 - sum(weights) / (math.exp(blocks) - 1)


def test_a_short_run_lies_below_the_long_run_revenue_and_a_longer_one_nears_it() -> None:
    assert selfish_revenue_within(0.45, 0.0, 20) == pytest.approx(0.5386, abs=1e-4)
    assert selfish_revenue_within(0.45, 0.0, 20) < selfish_revenue(0.45, 0.0) - 0.1
    assert selfish_revenue_within(0.25, 0.0, 60) == pytest.approx(
        selfish_revenue(0.25, 0.0), abs=2.5e-3
    )


def test_honest_blocks_after_the_attack_dilute_the_share() -> None:
    within = selfish_revenue_within(0.35, 0.0, 20)
    assert selfish_revenue_within(0.35, 0.0, 20, honest_after=3.0) < within
    assert selfish_revenue_within(0.35, 0.5, 20) > within  # gamma: ties won


def test_selfish_mining_pays_exactly_above_the_threshold() -> None:
    for gamma in (0.0, 0.5, 0.9):
        threshold = selfish_threshold(gamma)
        assert selfish_revenue(threshold - 0.02, gamma) < threshold - 0.02
        assert selfish_revenue(threshold + 0.02, gamma) > threshold + 0.02
    assert selfish_threshold(0.0) == pytest.approx(1 / 3)
    assert selfish_threshold(0.5) == pytest.approx(1 / 4)


def test_stale_rate_grows_with_delay_and_shrinks_with_interval() -> None:
    assert stale_rate(0.0, 10.0) == 0.0
    assert stale_rate(1.0, 600.0) == pytest.approx(0.00167, abs=1e-5)
    assert stale_rate(2.0, 2.0) > stale_rate(1.0, 2.0) > stale_rate(1.0, 4.0)


def test_wilson_interval_holds_the_rate_and_stays_in_range() -> None:
    interval = wilson_interval(30, 100)
    assert 0.3 in interval
    assert interval.low == pytest.approx(0.2189, abs=1e-3)
    assert interval.high == pytest.approx(0.3958, abs=1e-3)
    assert wilson_interval(0, 10).low == 0.0
    assert wilson_interval(10, 10).high == pytest.approx(1.0)


def test_expected_rate_interval_accepts_the_truth_and_rejects_a_distant_rate() -> None:
    interval = expected_rate_interval(0.1951, 1000)
    assert 0.1951 in interval
    assert 0.25 not in interval
    rare = expected_rate_interval(0.000591, 1000)
    assert 0.0 in rare and 0.001 in rare and 0.01 not in rare


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_shares_outside_zero_one_are_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="must lie in"):
        double_spend_nakamoto(bad, 3)
    with pytest.raises(ValueError, match="must lie in"):
        selfish_revenue(bad, 0.0)


def test_student_t_matches_the_table_and_approaches_the_normal_quantile() -> None:
    assert student_t_95(4) == 2.776
    assert abs(student_t_95(40) - 2.021) < 0.001
    assert abs(student_t_95(10_000) - Z_95) < 0.001


def test_mean_interval_widens_with_spread_and_narrows_with_trials() -> None:
    few = mean_interval([0.2, 0.4])
    many = mean_interval([0.2, 0.4] * 10)
    assert few.low < many.low < 0.3 < many.high < few.high
    assert mean_interval([0.5]) == Interval(0.5, 0.5)


def test_giving_up_behind_costs_the_attacker_the_long_catch_ups() -> None:
    # q 45 %, z 1, give up 1 behind: the attacker wins at once with probability q (its second
    # block came first); one behind (p), it catches up before falling two behind with q/(q+p)
    assert double_spend_rosenfeld(0.45, 1, give_up=1) == pytest.approx(1 - 0.55 * 0.55)
    assert double_spend_rosenfeld(0.45, 2, give_up=10) < double_spend_rosenfeld(0.45, 2)
    assert double_spend_rosenfeld(0.3, 6, give_up=10_000) == pytest.approx(
        double_spend_rosenfeld(0.3, 6)
    )
    assert double_spend_rosenfeld(0.5, 3, give_up=10) < 1.0 == double_spend_rosenfeld(0.5, 3)
