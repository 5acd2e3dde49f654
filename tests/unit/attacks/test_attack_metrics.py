"""Attack figures read from honest evidence: each test states what a user would see in results."""

from __future__ import annotations

from chaosnet.observe.attacks import compute_attacks
from tests.unit.attacks.journals import (
    HONEST,
    NAMES,
    everyone_started,
    final_chain,
    reorg,
    sample,
    scenario,
    seen,
    started,
)


def test_revenue_counts_final_chain_blocks_beside_the_hashrate_share() -> None:
    records = [*everyone_started(), final_chain(["eve", "n1", "eve", "n2"])]
    m = compute_attacks(records, scenario("persona: selfish, hashrate: 35%"), HONEST, NAMES)
    assert m.revenue["eve"].share == 0.5
    assert m.revenue["eve"].fair_share == 0.35


def test_gamma_is_the_share_of_honest_tie_breakers_that_extended_the_attacker() -> None:
    records = [
        *everyone_started(),
        # height 2: a tie; n3's block at 3 built on eve's B2 (it is in the final chain)
        seen("n1", "B2", 2, "eve", 5.0),
        seen("n2", "H2", 2, "n2", 5.1),
        # height 4: a tie; n1's block at 5 built on the honest side (eve's block was dropped)
        seen("n1", "X4", 4, "eve", 9.0),
        seen("n1", "B4", 4, "n2", 9.0),
        # height 6: a tie won by eve's own next block: not a gamma trial
        seen("n1", "B6", 6, "eve", 12.0),
        seen("n1", "H6", 6, "n1", 12.0),
        final_chain(["n1", "eve", "n3", "n2", "n1", "eve", "eve"]),
    ]
    m = compute_attacks(records, scenario("persona: selfish, hashrate: 35%"), HONEST, NAMES)
    races = m.tie_races["eve"]
    assert (races.races, races.honest_on_attacker, races.gamma) == (2, 1, 0.5)


def payment_journal(honest_depth: int, in_final: list[str]) -> list[dict[str, object]]:
    persona = {"payment": "pay", "conflict": "back", "payment_confirmations": 9}
    return [
        *everyone_started(),
        sample("eve", 5.0, persona=persona),
        sample("n1", 6.0, payments={"pay": honest_depth}),
        sample("n2", 6.0, payments={"pay": honest_depth - 1}),
        final_chain(["n1", "eve", "eve"], {2: in_final}),
    ]


DOUBLE_SPENDER = "persona: double-spend, hashrate: 30%, victim: n1, confirmations: 3"


def test_a_double_spend_succeeds_only_when_honest_nodes_confirmed_it_and_then_lost_it() -> None:
    m = compute_attacks(payment_journal(3, ["back"]), scenario(DOUBLE_SPENDER), HONEST, NAMES)
    spends = m.double_spends["eve"]
    assert (spends.attempts, spends.confirmed, spends.succeeded) == (1, 1, 1)
    assert spends.deepest_confirmation == 3


def test_the_attackers_own_confirmation_count_is_not_believed() -> None:
    # eve claims 9 confirmations; the honest nodes only ever saw 2
    m = compute_attacks(payment_journal(2, ["back"]), scenario(DOUBLE_SPENDER), HONEST, NAMES)
    assert (m.double_spends["eve"].confirmed, m.double_spends["eve"].succeeded) == (0, 0)


def test_a_payment_still_in_the_final_chain_is_not_a_success() -> None:
    m = compute_attacks(payment_journal(5, ["pay"]), scenario(DOUBLE_SPENDER), HONEST, NAMES)
    assert m.double_spends["eve"].succeeded == 0
    assert m.double_spends["eve"].success_rate == 0.0


def chain_of(node: str, blocks: list[tuple[str, str, int]], t: float) -> list[dict[str, object]]:
    """`node` sees blocks (hash, parent, height) in order, each a `block_seen` with its txids:
    block `P…` carries the payment."""
    return [
        {
            **seen(node, block, height, "n1", t),
            "parent": parent,
            "txids": ["pay"] * (block[0] == "P"),
        }
        for block, parent, height in blocks
    ]


def test_block_events_show_the_confirmations_no_sample_saw() -> None:
    """n1 never sampled the payment: it got it in P11, mined to 13 and reorganised 3 deep onto
    eve's chain within a link delay. Its block and reorg events show it held the payment 3 deep."""
    journal = payment_journal(0, ["back"])
    journal[-1:-1] = [
        *chain_of("n1", [("A10", "A9", 10), ("P11", "A10", 11), ("H12", "P11", 12)], 6.0),
        *chain_of("n1", [("H13", "H12", 13), ("E11", "A10", 11), ("E12", "E11", 12)], 7.0),
        *chain_of("n1", [("E13", "E12", 13), ("E14", "E13", 14)], 7.5),
        reorg("n1", 3, "E14", t=7.5),
    ]
    spends = compute_attacks(journal, scenario(DOUBLE_SPENDER), HONEST, NAMES).double_spends["eve"]
    assert (spends.confirmed, spends.succeeded, spends.deepest_confirmation) == (1, 1, 3)


def test_a_payment_on_a_side_branch_the_node_never_followed_is_not_confirmed() -> None:
    journal = payment_journal(0, ["back"])
    journal[-1:-1] = chain_of(
        "n1",
        [("A10", "A9", 10), ("H11", "A10", 11), ("H12", "H11", 12), ("P11", "A10", 11)],
        6.0,
    ) + chain_of("n1", [("H13", "H12", 13), ("H14", "H13", 14)], 7.0)
    spends = compute_attacks(journal, scenario(DOUBLE_SPENDER), HONEST, NAMES).double_spends["eve"]
    assert (spends.confirmed, spends.deepest_confirmation) == (0, 0)


def test_a_payment_still_under_attack_at_the_end_is_no_trial() -> None:
    journal = payment_journal(5, ["pay"])
    journal[-1:-1] = [sample("eve", 9.0, persona={"payment": "pay", "conflict": "back", "open": 1})]
    spends = compute_attacks(journal, scenario(DOUBLE_SPENDER), HONEST, NAMES).double_spends["eve"]
    assert (spends.attempts, spends.unresolved, spends.confirmed) == (1, 1, 0)
    assert spends.success_rate is None and spends.give_up == 10


def test_the_deepest_attacker_reorg_is_traced_through_the_final_chain() -> None:
    records = [
        *everyone_started(),
        reorg("n1", 2, "B4"),  # new branch B3..B4: eve mined B3
        reorg("n2", 3, "B6"),  # new branch B4..B6: honest only
        final_chain(["n1", "n2", "eve", "n1", "n2", "n3"]),
    ]
    m = compute_attacks(records, scenario("persona: majority-reorg, hashrate: 60%"), HONEST, NAMES)
    assert (m.deepest_reorg, m.deepest_attacker_reorg) == (3, 2)


def test_eclipse_measures_the_victims_peers_and_lag_only_while_the_attack_runs() -> None:
    records = [
        *everyone_started(),
        sample("n2", 10.0, height=8),
        sample("n1", 11.0, height=5, peer_ids=["eve~1", "eve~2", "eve", "n2"]),
        sample("n1", 12.0, height=6, peer_ids=["eve~1", "eve~2", "eve~3", "eve"]),
        seen("n1", "S7", 7, "n1", 12.5, source="mined"),
        started("eve", 20.0, "attack stopped"),
        sample("n1", 25.0, height=9, peer_ids=["n2", "n3"]),
        final_chain(["n2"] * 9),
    ]
    m = compute_attacks(records, scenario("persona: eclipse, victim: n1"), HONEST, NAMES)
    e = m.eclipses["eve"]
    assert (e.attacker_peer_share_mean, e.attacker_peer_share_max) == (0.875, 1.0)
    assert (e.height_lag_max, e.wasted_blocks, e.window_s) == (3, 1, 20.0)


def test_sybil_slots_are_the_share_of_peers_held_by_its_identities() -> None:
    records = [
        *everyone_started(),
        sample("n1", 5.0, peer_ids=["eve~0", "eve~1", "n2", "n3"]),
        sample("n2", 5.0, peer_ids=["n1", "n3"]),
    ]
    m = compute_attacks(records, scenario("persona: sybil, identities: 4"), HONEST, NAMES)
    assert m.peer_slots["eve"] == {"n1": 0.5, "n2": 0.0}


def test_a_ban_is_timed_from_the_first_invalid_message_to_the_attackers_last_departure() -> None:
    records = [
        *everyone_started(),
        sample("n1", 1.0, invalid_messages=0, peer_ids=["eve", "n2"]),
        sample("n1", 2.0, invalid_messages=3, peer_ids=["eve", "n2"]),
        sample("n1", 3.0, invalid_messages=9, peer_ids=["n2"]),
        sample("n1", 4.0, invalid_messages=9, peer_ids=["n2"]),
        sample("n2", 2.0, invalid_messages=4, peer_ids=["eve"]),
        sample("n2", 4.0, invalid_messages=4, peer_ids=["eve"]),  # never cut eve off
    ]
    m = compute_attacks(records, scenario("persona: invalid-blocks, hashrate: 10%"), HONEST, NAMES)
    assert m.bans["eve"].invalid_messages == {"n1": 9, "n2": 4}
    assert m.bans["eve"].ban_after_s == {"n1": 1.0, "n2": None}
