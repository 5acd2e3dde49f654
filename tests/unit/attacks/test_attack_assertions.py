"""Every attack assertion passes on a journal where the attack did what it says, and fails where
it did not: the verdict is earned, never a formality."""

from __future__ import annotations

import pytest

from chaosnet.assertions.evaluate import AssertionResult, Evidence, evaluate
from chaosnet.errors import ScenarioError
from chaosnet.observe.attacks import compute_attacks
from chaosnet.observe.metrics import Metrics
from tests.unit.attacks.journals import (
    HONEST,
    NAMES,
    Record,
    everyone_started,
    final_chain,
    reorg,
    sample,
    scenario,
    seen,
)


def check(attacker: str, assertion: str, records: list[Record]) -> AssertionResult:
    """Load a scenario with `eve` and one assertion (YAML flow), evaluate it over `records`."""
    s = scenario(attacker, f"[{assertion}]")
    metrics = Metrics(attacks=compute_attacks(records, s, HONEST, NAMES))
    evidence = Evidence(metrics, records, HONEST, HONEST, {}, s.duration, {})
    (result,) = evaluate(s.assertions, evidence)
    return result


SELFISH = "persona: selfish, hashrate: 25%"
HALF_OF_THE_CHAIN = [*everyone_started(), final_chain(["eve", "n1", "eve", "n2"])]


@pytest.mark.parametrize(
    ("bounds", "passed"),
    [
        ("max: fair", False),  # 50 % > 25 %
        ("min: 1.2x fair", True),  # 50 % >= 30 %
        ("min: 2.5x fair", False),  # 50 % < 62.5 %
        ("max: 60%", True),
        ("min: 0.2, max: 0.4", False),
    ],
)
def test_attacker_share_against_absolute_and_fair_share_bounds(bounds: str, passed: bool) -> None:
    result = check(SELFISH, f"attacker_share: {{attacker: eve, {bounds}}}", HALF_OF_THE_CHAIN)
    assert (result.passed, result.measured) == (passed, 0.5)


def test_attacker_share_shows_the_resolved_fair_bound() -> None:
    result = check(SELFISH, "attacker_share: {attacker: eve, min: 1.2x fair}", HALF_OF_THE_CHAIN)
    assert result.bound == ">= 1.2x fair = 30.0%"
    assert "mined 2 of 4 blocks" in result.detail


DOUBLE_SPENDER = "persona: double-spend, hashrate: 30%, victim: n1, confirmations: 3"


def payments(honest_depth: int, in_final: list[str]) -> list[Record]:
    persona = {"payment": "pay", "conflict": "back", "payment_confirmations": 9}
    return [
        *everyone_started(),
        sample("eve", 5.0, persona=persona),
        sample("n2", 6.0, payments={"pay": honest_depth}),
        final_chain(["n1", "eve", "eve"], {2: in_final}),
    ]


@pytest.mark.parametrize(
    ("records", "max_zero_passes"),
    [
        (payments(3, ["back"]), False),  # confirmed 3 deep on n2, then replaced by its conflict
        (payments(2, ["back"]), True),  # only eve claims 3 confirmations: honest nodes saw 2
        (payments(4, ["pay"]), True),  # the payment stayed
    ],
)
def test_double_spend_success_is_judged_on_honest_nodes(
    records: list[Record], max_zero_passes: bool
) -> None:
    assert (
        check(DOUBLE_SPENDER, "double_spend_success: {max: 0}", records).passed is max_zero_passes
    )
    assert check(DOUBLE_SPENDER, "double_spend_success: {min: 1}", records).passed is not (
        max_zero_passes
    )
    assert check(DOUBLE_SPENDER, "double_spend: {confirmations: 3}", records).passed is (
        max_zero_passes
    )


def test_double_spend_without_a_final_chain_cannot_pass() -> None:
    records = payments(3, ["back"])[:-1]
    result = check(DOUBLE_SPENDER, "double_spend_success: {max: 0}", records)
    assert not result.passed and "no final honest chain" in result.detail


def eclipse_journal(attacker_peers_until: float) -> list[Record]:
    """n1 samples every second for 20 s; eve's identities hold all its peers until the given time."""
    return [
        *everyone_started(),
        *(
            sample(
                "n1", float(t), peer_ids=["eve~1", "eve"] if t < attacker_peers_until else ["n2"]
            )
            for t in range(20)
        ),
    ]


def test_eclipsed_needs_the_attacker_to_hold_the_share_unbroken_for_the_duration() -> None:
    assertion = "eclipsed: {victim: n1, min_share: 80%, during: 10s}"
    held = check("persona: eclipse, victim: n1", assertion, eclipse_journal(15))
    assert (held.passed, held.measured) == (True, 14.0)
    brief = check("persona: eclipse, victim: n1", assertion, eclipse_journal(5))
    assert (brief.passed, brief.measured) == (False, 4.0)


def lagging_victim(honest_from: float) -> list[Record]:
    """n2 mines a block a second for 20 s; n1 is stuck at height 3 with only eve's identities as
    peers until `honest_from`, then has n2 and keeps up."""
    records: list[Record] = [*everyone_started()]
    for t in range(20):
        records.append(sample("n2", float(t), height=t))
        back = t >= honest_from
        peers = ["eve~1", "n2"] if back else ["eve~1", "eve~2"]
        records.append(sample("n1", t + 0.1, height=t if back else min(t, 3), peer_ids=peers))
    return records


@pytest.mark.parametrize("persona", ["eclipse", "honest"])  # honest: a control run is measured
def test_victim_lag_and_honest_peer_read_the_victim_at_the_end_of_the_attack(persona: str) -> None:
    attacker = f"persona: {persona}, victim: n1"
    eclipsed = lagging_victim(honest_from=99)
    lag = check(attacker, "victim_lag: {victim: n1, min: 5}", eclipsed)
    assert (lag.passed, lag.measured) == (True, 16)
    assert not check(attacker, "honest_peer: {victim: n1}", eclipsed).passed
    defended = lagging_victim(honest_from=10)
    assert check(attacker, "victim_lag: {victim: n1, max: 1}", defended).passed
    peer = check(attacker, "honest_peer: {victim: n1}", defended)
    assert (peer.passed, peer.measured) == (True, 1)


def ban_journal(n2_cuts_off: bool) -> list[Record]:
    return [
        *everyone_started(),
        sample("n1", 1.0, invalid_messages=0, peer_ids=["eve", "n2"]),
        sample("n1", 2.0, invalid_messages=3, peer_ids=["eve", "n2"]),
        sample("n1", 4.0, invalid_messages=9, peer_ids=["n2"]),
        sample("n2", 2.0, invalid_messages=4, peer_ids=["eve"]),
        sample("n2", 9.0, invalid_messages=4, peer_ids=["n1"] if n2_cuts_off else ["eve"]),
    ]


def test_banned_holds_only_when_every_offended_node_cut_the_attacker_off_in_time() -> None:
    invalid = "persona: invalid-blocks, hashrate: 10%"
    fast = check(invalid, "banned: {attackers: eve, within: 3s}", ban_journal(True))
    assert (fast.passed, fast.measured) == (False, 7.0)  # n2 took 7 s
    slow = check(invalid, "banned: {attackers: [eve], within: 8s}", ban_journal(True))
    assert slow.passed
    never = check(invalid, "banned: {attackers: eve, within: 60s}", ban_journal(False))
    assert not never.passed and "never cut off by n2" in never.detail


def races(on_attacker: int, on_honest: int) -> list[Record]:
    """Tie races at heights 2, 4, 6, ...: eve's block and n2's; the final chain says which side
    the next (honest) block extended."""
    records, miners = [*everyone_started()], ["n1"]
    for k in range(on_attacker + on_honest):
        height = 2 * k + 2
        records += [
            seen("n1", f"E{height}", height, "eve", k),
            seen("n1", f"H{height}", height, "n2", k),
        ]
        miners += ["eve" if k < on_attacker else "n2", "n3"]
    return [*records, final_chain(miners)]


@pytest.mark.parametrize(
    ("assertion", "passed"),
    [
        ("{metric: gamma, expected: 50%}", True),  # measured 12/24
        ("{metric: gamma, expected: 0.9}", False),
        ("{metric: gamma, expected: 50%, trials: 100}", False),  # only 24 races
    ],
)
def test_expect_rate_checks_the_measured_rate_against_the_interval(
    assertion: str, passed: bool
) -> None:
    result = check(SELFISH, f"expect_rate: {assertion}", races(12, 12))
    assert (result.passed, result.measured) == (passed, 0.5)


def test_expect_rate_refuses_a_selfish_share_where_it_is_written() -> None:
    """A selfish miner's blocks are no independent trials (a release wins a whole lead at once),
    so a band over them would be far too narrow: the scenario says to use a sweep instead."""
    with pytest.raises(
        ScenarioError, match=r"<scenario>:8:36: .*metric: 'attacker_share' is not one"
    ):
        scenario(SELFISH, "[expect_rate: {metric: attacker_share, expected: theory}]")


def test_expect_rate_theory_is_rosenfeld_over_the_confirmed_payments() -> None:
    # eve (30 %, z = 3) reversed the one payment honest nodes confirmed 3 deep: Rosenfeld 0.326
    records = payments(3, ["back"])
    result = check(
        DOUBLE_SPENDER, "expect_rate: {metric: double_spend_success, expected: theory}", records
    )
    assert (result.passed, result.measured) == (True, 1.0)
    assert "1 of 1 trials; expected 32.6% (Rosenfeld at q 30.0%, z 3, giving up 10 behind)" in (
        result.detail
    )


MAJORITY = "persona: majority-reorg, hashrate: 60%"


@pytest.mark.parametrize(
    ("assertion", "passed", "measured"),
    [
        ("attacker_reorg_depth: {min: 3}", True, 3),  # n1 reorganised 3 blocks onto eve's B3..B5
        ("attacker_reorg_depth: {min: 4}", False, 3),
        ("attacker_reorg_depth: {max: 2}", False, 3),
    ],
)
def test_attacker_reorg_depth_counts_reorgs_onto_attacker_blocks(
    assertion: str, passed: bool, measured: int
) -> None:
    records = [
        *everyone_started(),
        reorg("n1", 3, "B5"),
        reorg("n2", 4, "B2"),  # deeper, but onto honest blocks only
        final_chain(["n1", "n2", "eve", "eve", "eve"]),
    ]
    result = check(MAJORITY, assertion, records)
    assert (result.passed, result.measured) == (passed, measured)


def test_without_any_reorg_the_attacker_reorged_nothing() -> None:
    records = [*everyone_started(), final_chain(["n1", "n2"])]
    assert check(MAJORITY, "attacker_reorg_depth: {max: 0}", records).passed
    assert not check(MAJORITY, "attacker_reorg_depth: {min: 1}", records).passed
