"""Attackers with a private chain: selfish mining, double spends and majority reorgs."""

from __future__ import annotations

import json

import pytest

from reference_node.core.block import Block

from .conftest import chain_headers, miner, orphaned, peers, persona, same_tip, stats

pytestmark = pytest.mark.timeout(90)

SEED_NEAR_EXPECTATION = 76
"""Block timers are seeded per node: with seed 1, n2 draws 28 blocks in its first 25 s where 16
are expected, which makes the selfish miner a 20 % miner. With 76 all three stay near their
hashrate over the first 30 s."""


def test_selfish_miner_orphans_honest_blocks_and_takes_its_share_of_the_honest_chain(spawn, wait):
    """What the honest nodes see: their own blocks orphaned by released private ones, and the
    selfish miner's blocks in their chain once it stops (a graceful stop publishes its lead)."""
    n1 = spawn("n1", *miner(0.33, SEED_NEAR_EXPECTATION))
    n2 = spawn("n2", *miner(0.33, SEED_NEAR_EXPECTATION), *peers(n1))
    selfish = spawn(
        "selfish", *miner(0.34, SEED_NEAR_EXPECTATION), *persona("selfish"), *peers(n1, n2)
    )
    honest_miners = {n1.status()["miner"], n2.status()["miner"]}
    attacker = selfish.status()["miner"]
    joined = n1.height()
    wait(lambda: n1.height() >= joined + 40, 60, "40 blocks on n1 since the selfish miner joined")
    selfish.terminate()
    wait(lambda: same_tip([n1, n2], joined + 40), 30, "the honest nodes to converge")
    miners = [h["miner"] for h in chain_headers(n1) if h["height"] > joined]
    share = miners.count(attacker) / len(miners)
    lost = orphaned(n1, honest_miners)
    print(f"selfish (0.34): {share:.0%} of n1's {len(miners)} blocks; {len(lost)} honest orphaned")
    assert len(lost) >= 2, "released private blocks orphan honest ones"
    assert share >= 0.1, f"the selfish miner holds {share:.0%} of the honest chain"


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


def test_a_private_chain_survives_a_crash_of_the_attacker(spawn, wait):
    """Blocks withheld before a SIGKILL are reloaded and, once released, are on the honest chain."""
    n1 = spawn("n1", *miner(0.3))
    whale = spawn("whale", *miner(0.7), *persona("majority-reorg", lead=5), *peers(n1))
    wait(lambda: stats(whale)["withheld"] >= 2, 30, "two withheld blocks")
    whale.kill()
    saved = json.loads((whale.data_dir / "persona-state.json").read_text())
    before_crash = {Block.from_json(raw).hash for raw in saved["withheld"]}
    assert len(before_crash) >= 2, saved
    whale.start()
    assert stats(whale)["withheld"] >= len(before_crash), "the private chain was reloaded"
    wait(lambda: stats(whale)["releases"] >= 1, 45, "the whale's release after its restart")
    wait(
        lambda: before_crash <= {h["hash"] for h in chain_headers(n1)},
        20,
        "the blocks withheld before the crash on n1's chain",
    )


def test_a_double_spend_attempt_goes_on_after_the_attacker_restarts(spawn, wait):
    """The payment, its conflict and the private blocks come back: the victim loses the payment."""
    n1 = spawn("n1", *miner(0.2))
    mallory = spawn(
        "mallory",
        *miner(0.8),
        *persona("double-spend", victim="n1", confirmations=3, attempts=1),
        *peers(n1),
    )
    wait(lambda: stats(mallory)["withheld"] >= 1, 30, "a private block with the conflict")
    mallory.kill()
    mallory.start()
    s = stats(mallory)
    assert s["attempts"] == 1 and s["withheld"] >= 1 and s["conflict"], s
    wait(lambda: stats(mallory)["succeeded"] == 1, 45, "the double spend after the restart")
    wait(
        lambda: _tx(n1, s["conflict"]).json().get("confirmations", 0) >= 1, 20, "the conflict on n1"
    )
    assert _tx(n1, s["payment"]).status_code == 404, "the victim's payment is gone"
