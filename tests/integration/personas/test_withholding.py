"""Attackers with a private chain: selfish mining, double spends and majority reorgs."""

from __future__ import annotations

import pytest

from .conftest import chain_miners, miner, peers, persona, same_tip, stats

pytestmark = pytest.mark.timeout(90)


def test_selfish_miner_with_a_third_withholds_and_releases_and_honest_nodes_converge(spawn, wait):
    n1 = spawn("n1", *miner(0.33))
    n2 = spawn("n2", *miner(0.33), *peers(n1))
    selfish = spawn("selfish", *miner(0.34), *persona("selfish"), *peers(n1, n2))

    def played():
        s = stats(selfish)
        return s["withheld_total"] >= 6 and s["released_total"] >= 4 and s

    s = wait(played, 50, "the selfish miner to withhold 6 and release 4 blocks")
    assert s["ties"] + s["overrides"] + s["matches"] >= 2, s
    wait(lambda: same_tip([n1, n2], 10), 30, "the honest nodes to converge at height >= 10")
    miners = chain_miners(n1)
    share = miners.count(selfish.status()["miner"]) / len(miners)
    print(f"selfish miner (hashrate 0.34): {share:.0%} of {len(miners)} blocks; stats {s}")


def _tx(node, txid):
    return node.get(f"/tx/{txid}")


def test_double_spend_with_a_minority_gives_up_and_the_payment_stands(spawn, wait):
    n1 = spawn("n1", *miner(0.45))
    n2 = spawn("n2", *miner(0.45), *peers(n1))
    mallory = spawn(
        "mallory",
        *miner(0.1),
        *persona("double-spend", victim="n1", confirmations=2, give_up=3, attempts=1),
        *peers(n1, n2),
    )
    s = wait(
        lambda: stats(mallory)["gave_up"] + stats(mallory)["succeeded"] and stats(mallory),
        45,
        "the attempt to end",
    )
    assert s["gave_up"] == 1 and s["succeeded"] == 0, s
    for node in (n1, n2):
        assert _tx(node, s["payment"]).json()["confirmations"] >= 2
        assert _tx(node, s["conflict"]).status_code == 404


def test_double_spend_with_a_large_majority_reverses_a_confirmed_payment(spawn, wait):
    n1 = spawn("n1", *miner(0.2))
    mallory = spawn(
        "mallory",
        *miner(0.8),
        *persona("double-spend", victim="n1", confirmations=2, attempts=1),
        *peers(n1),
    )
    s = wait(lambda: stats(mallory)["succeeded"] and stats(mallory), 45, "the double spend")
    assert s["confirmed_at_release"] >= 2 and s["reorg_depth"] >= 2, s
    wait(
        lambda: _tx(n1, s["conflict"]).json().get("confirmations", 0) >= 1, 20, "the conflict on n1"
    )
    assert _tx(n1, s["payment"]).status_code == 404, "the victim's payment is gone"


def test_majority_reorg_rewrites_more_than_lead_minus_one_honest_blocks(spawn, wait):
    n1 = spawn("n1", *miner(0.2))
    n2 = spawn("n2", *miner(0.2), *peers(n1))
    whale = spawn("whale", *miner(0.6), *persona("majority-reorg", lead=3), *peers(n1, n2))

    def deep_reorg():
        depths = [
            max(
                [e["depth"] for e in n.get("/events").json()["events"] if e["kind"] == "reorg"]
                or [0]
            )
            for n in (n1, n2)
        ]
        return min(depths) >= 3 and depths

    depths = wait(deep_reorg, 60, "a reorg of depth >= 3 on both honest nodes")
    s = stats(whale)
    assert s["releases"] >= 1 and s["max_reorg_depth"] >= 3, s
    print(f"majority-reorg (0.6, lead 3): honest reorg depths {depths}; stats {s}")
