"""Closed forms that attack runs are measured against, and the interval that says "agrees".

A measured rate only means something beside what theory expects for the model the persona
follows. Each function names its source; `tests/unit/test_theory.py` checks them against the
published tables.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

Z_95 = 1.959963984540054  # two-sided 95 % normal quantile


def _check_share(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must lie in [0, 1], got {value}")


def double_spend_nakamoto(q: float, z: int) -> float:
    """Nakamoto (2008, §11): the chance an attacker with hashrate share `q` ever catches up
    from `z` blocks behind, with its progress while the merchant waits modelled as Poisson
    with mean z·q/p."""
    _check_share("q", q)
    p = 1.0 - q
    if q >= p:
        return 1.0
    mean = z * q / p
    caught = 0.0
    for k in range(z + 1):
        poisson = math.exp(-mean) * mean**k / math.factorial(k)
        caught += poisson * (1.0 - (q / p) ** (z - k))
    return 1.0 - caught


def double_spend_rosenfeld(q: float, z: int, give_up: int | None = None) -> float:
    """Rosenfeld (2012, "Analysis of hashrate-based double-spending"): the attacker pre-mines one
    block (the conflict) before paying, mines privately while the merchant waits for z
    confirmations (its progress is then negative-binomial, not Poisson), and wins once its chain
    is longer than the public one. Rosenfeld's attacker never gives up; with `give_up` it drops
    the attempt `give_up` blocks behind (the gambler's ruin gets a second absorbing barrier), as
    the double-spend persona does."""
    _check_share("q", q)
    p = 1.0 - q
    if z == 0 or (q >= p and give_up is None):
        return 1.0
    failed = 0.0
    for m in range(z):  # the attacker mined m < z blocks while the merchant waited
        behind = z - m
        failed += math.comb(m + z - 1, m) * p**z * q**m * (1.0 - _catch_up(q, behind, give_up))
    return 1.0 - failed


def _catch_up(q: float, behind: int, give_up: int | None) -> float:
    """The chance a private chain `behind` blocks short of winning ever wins: `(q/p)^behind`
    (gambler's ruin), or before it is `give_up` + 1 short, when the attacker gives up there."""
    ratio = q / (1.0 - q)
    if give_up is None:
        return ratio**behind
    ruin = give_up + 1
    if math.isclose(ratio, 1.0):
        return 1.0 - behind / ruin
    return (ratio**behind - ratio**ruin) / (1.0 - ratio**ruin)


def selfish_revenue(alpha: float, gamma: float) -> float:
    """Eyal and Sirer (2014, eq. 8): the selfish pool's share of main-chain blocks with hashrate
    share `alpha`, when a share `gamma` of honest mining builds on its block during a tie."""
    _check_share("alpha", alpha)
    _check_share("gamma", gamma)
    a, g = alpha, gamma
    numerator = a * (1 - a) ** 2 * (4 * a + g * (1 - 2 * a)) - a**3
    denominator = 1 - a * (1 + (2 - a) * a)
    return numerator / denominator


# A selfish run's state: (private lead, tie race open, attacker blocks won, honest blocks won).
_SelfishState = tuple[int, bool, int, int]
_NEGLIGIBLE = 1e-12  # states less likely than this are dropped from the horizon sum


def selfish_revenue_within(
    alpha: float, gamma: float, blocks: float, honest_after: float = 0.0
) -> float:
    """Eyal and Sirer's state machine over one finite run, the expectation of what a sweep
    averages: the attacker's share of the final chain, per run, when Poisson(`blocks`) blocks are
    found while it attacks, it then publishes its private lead (a graceful stop), and honest miners
    alone find Poisson(`honest_after`) more. A short run cuts long private leads short, so this
    lies below eq. 8 (0.539 against 0.652 at alpha = 0.45 over 20 blocks) and tends to it as
    `blocks` grows. Runs without a block have no share and are left out, as the sweep does."""
    _check_share("alpha", alpha)
    _check_share("gamma", gamma)
    if blocks <= 0 or honest_after < 0:
        raise ValueError(f"need blocks > 0 and honest_after >= 0, got {blocks}, {honest_after}")
    states: dict[_SelfishState, float] = {(0, False, 0, 0): 1.0}
    chance_of_k = math.exp(-blocks)  # Poisson(blocks) at k = 0
    expected = weight = 0.0
    for k in range(1, int(blocks + 10 * math.sqrt(blocks) + 10)):
        states = _selfish_step(states, alpha, gamma)
        chance_of_k *= blocks / k
        at_k = sum(
            p * _share_with_honest_tail(won_a + lead, won_h + tie, honest_after)
            for (lead, tie, won_a, won_h), p in states.items()
        )
        expected += chance_of_k * at_k
        weight += chance_of_k
    return expected / weight


def _selfish_step(
    states: dict[_SelfishState, float], alpha: float, gamma: float
) -> dict[_SelfishState, float]:
    """One more block, the attacker's with chance alpha, through Eyal and Sirer's Algorithm 1.
    A won block is counted when its fate is sealed: a lead of 2 or more always wins."""
    honest = 1.0 - alpha
    after: dict[_SelfishState, float] = defaultdict(float)
    for (lead, tie, a, h), p in states.items():
        if tie:  # state 0': the next block decides the race
            after[(0, False, a + 2, h)] += p * alpha
            after[(0, False, a + 1, h + 1)] += p * honest * gamma
            after[(0, False, a, h + 2)] += p * honest * (1 - gamma)
            continue
        after[(lead + 1, False, a, h)] += p * alpha
        if lead == 0:
            after[(0, False, a, h + 1)] += p * honest
        elif lead == 1:  # publish ours: a tie race
            after[(0, True, a, h)] += p * honest
        elif lead == 2:  # publish all: both private blocks win, the honest one is lost
            after[(0, False, a + 2, h)] += p * honest
        else:  # publish one: it will win
            after[(lead - 1, False, a + 1, h)] += p * honest
    return {s: p for s, p in after.items() if p > _NEGLIGIBLE}


def _share_with_honest_tail(attacker: int, honest: int, honest_after: float) -> float:
    """attacker / (attacker + honest + j), averaged over j ~ Poisson(honest_after)."""
    if honest_after == 0:
        return attacker / (attacker + honest)
    share = covered = 0.0
    chance, j = math.exp(-honest_after), 0
    while covered < 1.0 - _NEGLIGIBLE and j < 10_000:
        share += chance * attacker / (attacker + honest + j)
        covered += chance
        j += 1
        chance *= honest_after / j
    return share


def selfish_threshold(gamma: float) -> float:
    """Eyal and Sirer: above this hashrate share selfish mining beats honest mining."""
    _check_share("gamma", gamma)
    return (1 - gamma) / (3 - 2 * gamma)


def stale_rate(delay: float, interval: float) -> float:
    """Decker and Wattenhofer (2013): the share of blocks that go stale when a block takes
    `delay` seconds to propagate and blocks come every `interval` seconds on average."""
    if delay < 0 or interval <= 0:
        raise ValueError(f"need delay >= 0 and interval > 0, got {delay}, {interval}")
    return 1.0 - math.exp(-delay / interval)


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.low <= value <= self.high


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> Interval:
    """The Wilson score interval for a binomial rate: honest near 0 and 1, where the
    normal approximation claims certainty it does not have."""
    if trials <= 0 or not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials and trials > 0, got {successes}/{trials}")
    rate = successes / trials
    denominator = 1 + z * z / trials
    centre = (rate + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def expected_rate_interval(expected: float, trials: int, z: float = Z_95) -> Interval:
    """Where a measured rate over `trials` lands 95 % of the time if `expected` is the truth:
    the acceptance region of `expect_rate`. Exact binomial tail bounds would be tighter at very
    small rates; the normal band is widened to at least one success so rare events stay testable."""
    _check_share("expected", expected)
    if trials <= 0:
        raise ValueError(f"trials must be positive, got {trials}")
    half = z * math.sqrt(expected * (1 - expected) / trials)
    half = max(half, 1.0 / trials)
    return Interval(max(0.0, expected - half), min(1.0, expected + half))


# Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom (any statistics table).
_T_95 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def student_t_95(df: int) -> float:
    """The two-sided 95 % quantile of Student's t; past the table, the Cornish-Fisher expansion
    around the normal quantile to second order (within 0.001 of the exact value from 31 on)."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be positive, got {df}")
    if df <= len(_T_95):
        return _T_95[df - 1]
    z = Z_95
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


def mean_interval(values: list[float]) -> Interval:
    """The 95 % confidence interval of the mean of `values` (Student's t). One value has no
    spread to speak of: its interval is the value itself, and a reader sees n = 1 beside it."""
    if not values:
        raise ValueError("no values")
    n = len(values)
    mean = sum(values) / n
    if n == 1:
        return Interval(mean, mean)
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    half = student_t_95(n - 1) * math.sqrt(variance / n)
    return Interval(mean - half, mean + half)
