"""`--persona-dormant`: an attacker mines and relays honestly until `POST /persona/activate`."""

from __future__ import annotations

import pytest

from .conftest import chain_miners, miner, peers, persona, stats

pytestmark = pytest.mark.timeout(90)


def test_a_dormant_selfish_miner_publishes_until_activated_then_withholds(spawn, wait):
    n1 = spawn("n1", *miner(0.4))
    selfish = spawn("selfish", *miner(0.6), *persona("selfish"), "--persona-dormant", *peers(n1))
    attacker = selfish.status()["miner"]
    wait(lambda: chain_miners(n1).count(attacker) >= 3, 30, "3 dormant blocks in n1's chain")
    assert stats(selfish) == {"active": 0}

    answer = selfish.post("/persona/activate").json()
    assert answer == {"persona": "selfish", "active": True, "activated": True}
    wait(lambda: stats(selfish)["withheld_total"] >= 2, 30, "the activated miner to withhold")
    assert stats(selfish)["active"] == 1
    again = selfish.post("/persona/activate").json()
    assert again["activated"] is False, "a second activation starts nothing new"


def test_activating_a_node_that_is_not_dormant_changes_nothing(spawn):
    node = spawn("n1", *miner(1.0))
    answer = node.post("/persona/activate").json()
    assert answer == {"persona": "honest", "active": True, "activated": False}
