"""Assertions over what attacks achieved (chaosnet/observe/attacks.py): each can fail, and each
reads only what honest nodes saw. The closed forms `expect_rate: {expected: theory}` compares with
come from chaosnet/theory.py; docs/attacks.md says which model each assumes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist

from chaosnet import theory
from chaosnet.assertions.evidence import AssertionResult, Evidence
from chaosnet.observe.attacks import AttackMetrics, Chain, Eclipse, double_spends, owner_of
from chaosnet.scenario import units
from chaosnet.scenario.model import Assertion, ParamValue

_RELATIVE = re.compile(r"^(?:(\d+(?:\.\d+)?) ?x )?fair$")


@dataclass(frozen=True)
class ShareBound:
    """A bound on a share as written: absolute, or `factor` times the attacker's fair share."""

    value: float
    relative: bool

    @classmethod
    def parse(cls, written: ParamValue) -> ShareBound:
        if isinstance(written, int | float) and not isinstance(written, bool):
            return cls(float(written), False)
        text = str(written).strip()
        relative = _RELATIVE.match(text)
        if relative:
            return cls(float(relative.group(1) or 1.0), True)
        return cls(units.fraction(text), False)

    def resolve(self, fair: float) -> float:
        return self.value * fair if self.relative else self.value

    def show(self, fair: float) -> str:
        if not self.relative:
            return f"{self.value:.1%}"
        factor = "" if self.value == 1 else f"{self.value:g}x "
        return f"{factor}fair = {self.resolve(fair):.1%}"


def _attacks(ev: Evidence) -> AttackMetrics:
    if ev.metrics.attacks is None:
        raise ValueError("the scenario has no attackers")
    return ev.metrics.attacks


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _bounds_text(low: str | None, high: str | None) -> str:
    return " and ".join(t for t in (f">= {low}" if low else "", f"<= {high}" if high else "") if t)


def _share_bound(a: Assertion, key: str) -> ShareBound | None:
    written = a.param(key)
    return None if written is None else ShareBound.parse(written)


def _attacker_share(a: Assertion, ev: Evidence) -> AssertionResult:
    attacker = str(a.param("attacker"))
    revenue = _attacks(ev).revenue.get(attacker)
    if revenue is None:
        raise ValueError(f"{attacker} has no hashrate, so it mines no blocks")
    fair = revenue.fair_share
    low, high = _share_bound(a, "min"), _share_bound(a, "max")
    bound = _bounds_text(low.show(fair) if low else None, high.show(fair) if high else None)
    detail = (
        f"{attacker} mined {revenue.blocks} of {revenue.chain_blocks} blocks of the final honest "
        f"chain; its hashrate share is {fair:.1%}"
    )
    if revenue.share is None:
        return AssertionResult(a.name, a.kind, False, None, bound, "no final chain")
    passed = _within(
        revenue.share, low.resolve(fair) if low else None, high.resolve(fair) if high else None
    )
    return AssertionResult(a.name, a.kind, passed, revenue.share, bound, detail)


def _successes(a: Assertion, ev: Evidence, z: int | None) -> tuple[int, int, int]:
    """(payments announced, confirmed on honest nodes, succeeded) over the double-spend attackers
    (or `attacker`); `z` overrides each attacker's own confirmations."""
    if not any(r["kind"] == "final_chain" for r in ev.records):
        raise ValueError("no final honest chain to check the payments against")
    chain = Chain.of(ev.records, {})
    only = a.param("attacker")
    chosen = [
        spends
        if z is None
        else double_spends(ev.records, chain, name, ev.honest, z, spends.give_up)
        for name, spends in _attacks(ev).double_spends.items()
        if only is None or name == only
    ]
    return (
        sum(s.attempts for s in chosen),
        sum(s.confirmed for s in chosen),
        sum(s.succeeded for s in chosen),
    )


def _double_spend(a: Assertion, ev: Evidence) -> AssertionResult:
    """No payment buried `confirmations` deep on an honest node later left the honest chain for
    its conflict (the attacker names its payments; honest nodes say how deep they were)."""
    z = int(a.param("confirmations") or 0)
    attempts, confirmed, succeeded = _successes(a, ev, z)
    detail = (
        f"{attempts} attacker payments, {confirmed} reached {z} confirmations on an honest node, "
        f"{succeeded} of those reversed in the final honest chain"
    )
    return AssertionResult(a.name, a.kind, succeeded == 0, succeeded, "== 0 reversed", detail)


def _double_spend_success(a: Assertion, ev: Evidence) -> AssertionResult:
    low, high, bound = _count_bounds(a)
    attempts, confirmed, succeeded = _successes(a, ev, None)
    passed = _within(succeeded, low, high)
    detail = (
        f"{attempts} payments announced, {confirmed} confirmed on honest nodes to the attacker's "
        f"depth, {succeeded} then replaced by their conflict in the final honest chain"
    )
    return AssertionResult(a.name, a.kind, passed, succeeded, bound, detail)


def _count_bounds(a: Assertion) -> tuple[float | None, float | None, str]:
    """`min`/`max` of a count, and how they read."""
    low, high = a.param("min"), a.param("max")
    text = _bounds_text(None if low is None else str(low), None if high is None else str(high))
    return (
        None if low is None else float(str(low)),
        None if high is None else float(str(high)),
        text,
    )


def _attacker_reorg_depth(a: Assertion, ev: Evidence) -> AssertionResult:
    low, high, bound = _count_bounds(a)
    attacks = _attacks(ev)
    depth = attacks.deepest_attacker_reorg
    if depth is None:
        detail = f"honest nodes reorganised (deepest {attacks.deepest_reorg}) but no new branch was traceable"
        return AssertionResult(a.name, a.kind, False, None, bound, detail)
    detail = f"deepest honest reorg {attacks.deepest_reorg}; onto attacker blocks {depth}"
    return AssertionResult(a.name, a.kind, _within(depth, low, high), depth, bound, detail)


def _eclipsed(a: Assertion, ev: Evidence) -> AssertionResult:
    """The longest unbroken run of the victim's samples with attackers holding `min_share` of its
    peers (a peer is the attackers' when its owner is not an honest node)."""
    victim, need = str(a.param("victim")), float(str(a.param("min_share")))
    during = float(str(a.param("during")))
    longest, since, samples = 0.0, None, 0
    for r in ev.records:
        if r["kind"] != "sample" or r["node"] != victim or not r.get("peer_ids"):
            continue
        samples += 1
        peers = r["peer_ids"]
        held = sum(owner_of(p) not in ev.honest for p in peers) / len(peers)
        t = float(r["t"])
        since = (since if since is not None else t) if held >= need else None
        longest = max(longest, t - since) if since is not None else longest
    detail = (
        f"attackers held >= {need:.0%} of {victim}'s peers for {longest:.3g}s at most without a "
        f"break, over {samples} samples of its peer list"
    )
    passed = samples > 0 and longest >= during
    return AssertionResult(a.name, a.kind, passed, round(longest, 3), f">= {during:g}s", detail)


def _victims_eclipse(a: Assertion, ev: Evidence) -> Eclipse:
    """The eclipse figures of `victim` (an eclipse attacker's, or a control run's honest one)."""
    victim = str(a.param("victim"))
    found = [e for e in _attacks(ev).eclipses.values() if e.victim == victim]
    if not found:
        raise ValueError(f"no eclipse attacker has {victim} for victim")
    return found[0]


def _victim_lag(a: Assertion, ev: Evidence) -> AssertionResult:
    low, high, bound = _count_bounds(a)
    eclipse = _victims_eclipse(a, ev)
    lag = eclipse.height_lag_last
    detail = (
        f"{eclipse.victim} was {lag} blocks behind the best honest height at its last sample of "
        f"the {eclipse.window_s:g}s attack window (at most {eclipse.height_lag_max})"
    )
    passed = lag is not None and _within(lag, low, high)
    return AssertionResult(a.name, a.kind, passed, lag, bound, detail)


def _honest_peer(a: Assertion, ev: Evidence) -> AssertionResult:
    eclipse = _victims_eclipse(a, ev)
    peers = eclipse.honest_peers_last
    detail = (
        f"{eclipse.victim} had {peers} honest peer(s) at its last sample of the attack window; "
        f"attackers held {eclipse.attacker_peer_share_mean} of its peers on average"
    )
    return AssertionResult(a.name, a.kind, bool(peers), peers, ">= 1", detail)


def _banned(a: Assertion, ev: Evidence) -> AssertionResult:
    names = str(a.param("attackers")).split(",")
    within = float(str(a.param("within")))
    times: list[float | None] = []
    parts = []
    for name in names:
        bans = _attacks(ev).bans.get(name)
        if bans is None:
            raise ValueError(f"{name} does not send invalid data (invalid-blocks, invalid-txs)")
        times.extend(bans.ban_after_s.values())
        never = sorted(n for n, t in bans.ban_after_s.items() if t is None)
        parts.append(
            f"{name}: {len(bans.ban_after_s)} honest nodes counted invalid messages"
            + (f", never cut off by {', '.join(never)}" if never else "")
        )
    worst = None if not times or None in times else max(t for t in times if t is not None)
    passed = worst is not None and worst <= within
    return AssertionResult(a.name, a.kind, passed, worst, f"<= {within:g}s", "; ".join(parts))


@dataclass(frozen=True)
class Rate:
    successes: int
    trials: int
    theory: float | None  # the closed form's value, when one applies
    model: str


def measured_rate(metric: str, attacker: str, attacks: AttackMetrics) -> Rate:
    """The rate `expect_rate` checks, with its closed form (docs/attacks.md)."""
    revenue = attacks.revenue.get(attacker)
    if metric == "gamma":
        races = attacks.tie_races[attacker]
        return Rate(races.honest_on_attacker, races.races, None, "no closed form")
    if revenue is None:
        raise ValueError(f"{attacker} has no hashrate")
    spends = attacks.double_spends[attacker]
    z, q, give_up = spends.confirmations, revenue.fair_share, spends.give_up
    model = f"Rosenfeld at q {q:.1%}, z {z}, giving up {give_up} behind"
    expected = theory.double_spend_rosenfeld(q, z, give_up)
    return Rate(spends.succeeded, spends.confirmed, expected, model)


def _expect_rate(a: Assertion, ev: Evidence) -> AssertionResult:
    attacks = _attacks(ev)
    metric = str(a.param("metric"))
    attacker = str(a.param("attacker") or _only_attacker(attacks))
    rate = measured_rate(metric, attacker, attacks)
    written = a.param("expected")
    expected = rate.theory if written == "theory" else ShareBound.parse(written).value
    if expected is None:
        raise ValueError(f"{metric} has {rate.model}: give `expected` as a share")
    confidence = float(str(a.param("confidence")))
    need = int(str(a.param("trials")))
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    measured = round(rate.successes / rate.trials, 4) if rate.trials else None
    detail = f"{rate.successes} of {rate.trials} trials; expected {expected:.1%}"
    detail += f" ({rate.model})" if written == "theory" else ""
    if rate.trials < need:
        detail += f"; too few trials, need {need}"
        return AssertionResult(a.name, a.kind, False, measured, f"{need}+ trials", detail)
    band = theory.expected_rate_interval(expected, rate.trials, z)
    bound = f"in [{band.low:.1%}, {band.high:.1%}] ({confidence:.0%})"
    return AssertionResult(a.name, a.kind, measured in band, measured, bound, detail)


def _only_attacker(attacks: AttackMetrics) -> str:
    names = set(attacks.revenue) | set(attacks.double_spends)
    if len(names) != 1:
        raise ValueError(f"name the `attacker` (candidates: {', '.join(sorted(names)) or 'none'})")
    return names.pop()


ATTACK_EVALUATORS: dict[str, Callable[[Assertion, Evidence], AssertionResult]] = {
    "attacker_share": _attacker_share,
    "double_spend": _double_spend,
    "double_spend_success": _double_spend_success,
    "attacker_reorg_depth": _attacker_reorg_depth,
    "eclipsed": _eclipsed,
    "victim_lag": _victim_lag,
    "honest_peer": _honest_peer,
    "banned": _banned,
    "expect_rate": _expect_rate,
}
