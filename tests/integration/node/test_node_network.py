"""Three mining nodes on 127.0.0.1: they find each other, converge, and carry transactions."""

from __future__ import annotations

import time

import pytest

from reference_node.core.keys import account_address, account_key
from reference_node.core.tx import make_transfer

pytestmark = pytest.mark.timeout(120)

MINING = ("--mine", "--mining", "simulated", "--hashrate", "0.34", "--block-interval", "0.6")


@pytest.fixture
def network(spawn, wait):
    n1 = spawn("n1", *MINING, "--seed", "1")
    n2 = spawn("n2", *MINING, "--seed", "1", "--peers", n1.address)
    n3 = spawn("n3", *MINING, "--seed", "1", "--bootstrap", n2.address)
    nodes = [n1, n2, n3]
    wait(lambda: all(len(n.status()["peers"]) == 2 for n in nodes), 20, "a full mesh via addr")
    return nodes


def _same_tip(nodes, min_height):
    statuses = [n.status() for n in nodes]
    tips = {s["tip"] for s in statuses}
    return len(tips) == 1 and statuses[0]["height"] >= min_height and statuses


def test_three_miners_converge_on_one_tip(network, wait):
    statuses = wait(lambda: _same_tip(network, 8), 60, "one common tip at height >= 8")
    assert {s["total_work"] for s in statuses} == {statuses[0]["total_work"]}
    miners = set()
    for node in network:
        events = node.get("/events", params={"since": 0}).json()["events"]
        miners |= {e["miner"] for e in events if e["kind"] == "block" and e["source"] == "mined"}
        assert any(e["kind"] == "tip" for e in events)
        metrics = node.get("/metrics").text
        assert "chaosnet_height " in metrics and "chaosnet_blocks_received_total" in metrics
    assert len(miners) >= 2, "more than one node mined blocks"


def test_a_transaction_sent_to_one_node_is_confirmed_on_all(network, wait):
    tx = make_transfer(account_key(2), account_address(3), 1234, 5, 0)
    answer = network[0].post("/tx", json=tx.to_json())
    assert answer.status_code == 202 and answer.json() == {"txid": tx.txid}

    def confirmed_everywhere():
        found = [n.get(f"/tx/{tx.txid}").json() for n in network]
        return all(f.get("confirmations", 0) >= 1 for f in found) and found

    found = wait(confirmed_everywhere, 60, "the tx confirmed on every node")
    assert found[0]["tx"] == tx.to_json()
    wait(lambda: _same_tip(network, 0), 30, "a common tip")
    balances = {n.get(f"/balance/{account_address(3)}").json()["balance"] for n in network}
    assert len(balances) == 1
    again = network[1].post("/tx", json=tx.to_json())
    assert again.status_code == 202, "resubmitting a confirmed tx is idempotent"
    double = make_transfer(account_key(2), account_address(4), 1, 9, 0)
    refused = network[2].post("/tx", json=double.to_json())
    assert refused.status_code == 400 and "nonce" in refused.json()["error"]


def test_a_held_miner_mines_only_from_post_mining_start(spawn, wait):
    """The runner's time zero: blocks come once it says so, not while other nodes still start."""
    fast = ("--mine", "--hashrate", "1", "--block-interval", "0.2")
    held = spawn("held", *fast, "--hold-mining")
    idle = spawn("idle")
    time.sleep(1.5)  # about seven blocks' time, were it mining
    assert held.status()["height"] == 0

    assert held.post("/mining/start").json() == {"mining": True, "started": True}
    wait(lambda: held.status()["height"] >= 3, 20, "three blocks once started")
    assert held.post("/mining/start").json() == {"mining": True, "started": False}
    assert idle.post("/mining/start").json() == {"mining": False, "started": False}
