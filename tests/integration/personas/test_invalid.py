"""Attackers sending invalid blocks and transactions: rejected, banned, and the network carries on."""

from __future__ import annotations

import pytest

from reference_node.core.keys import account_address, account_key
from reference_node.core.tx import make_transfer

from .conftest import chain_miners, miner, peer_ids, peers, persona, same_tip, stats

pytestmark = pytest.mark.timeout(90)


def refuses(node, caller: str) -> bool:
    """Does `node` answer `caller` with 403 banned, as any message of that caller would get?"""
    answer = node.post("/p2p/inv", json={"blocks": []}, headers={"x-chaosnet-node": caller})
    return answer.status_code == 403


def test_invalid_blocks_never_enter_honest_chains_and_get_the_sender_banned(spawn, wait):
    n1 = spawn("n1", *miner(0.5))
    n2 = spawn("n2", *miner(0.5), *peers(n1))
    honest = [n1, n2]
    attackers = {
        kinds: spawn(
            f"evil-{kinds}", *persona("invalid-blocks", kinds=kinds, rate=4), *peers(n1, n2)
        )
        for kinds in ("pow", "merkle", "signature", "double-spend")
    }
    evil_miners = {a.status()["miner"] for a in attackers.values()}

    def all_tried():
        return all(stats(a)[f"sent_{k}"] >= 3 for k, a in attackers.items())

    wait(all_tried, 40, "every attacker to send at least 3 forged blocks")
    wait(lambda: same_tip(honest, 4), 30, "the honest nodes to agree at height >= 4")
    for node in honest:
        for banned in ("evil-pow", "evil-merkle", "evil-signature"):
            assert refuses(node, banned), f"{node.name} still talks to {banned}"
        assert not evil_miners & set(chain_miners(node)), (
            f"a forged block is in {node.name}'s chain"
        )
        assert not peer_ids(node) & {"evil-pow", "evil-merkle", "evil-signature"}
        invalid = next(
            line for line in node.get("/metrics").text.splitlines()
            if line.startswith("chaosnet_invalid_messages_total")
        )  # fmt: skip
        assert float(invalid.split()[-1]) >= 3


def test_invalid_tx_floods_are_refused_and_honest_nodes_keep_serving(spawn, wait):
    n1 = spawn("n1", *miner(0.5))
    n2 = spawn("n2", *miner(0.5), *peers(n1))
    banned = spawn("flood-sig", *persona("invalid-txs", rate=30), *peers(n1, n2))
    tolerated = spawn(
        "flood-rest",
        *persona("invalid-txs", kinds="overspend,nonce,malformed", rate=30),
        *peers(n1, n2),
    )
    wait(lambda: stats(tolerated)["sent"] >= 60, 30, "60 invalid txs sent")
    tx = make_transfer(account_key(1), account_address(2), 5, 1, 0)
    assert n2.post("/tx", json=tx.to_json()).status_code == 202
    wait(
        lambda: all(n.get(f"/tx/{tx.txid}").json().get("confirmations", 0) >= 1 for n in (n1, n2)),
        30,
        "a valid tx confirmed on both honest nodes during the flood",
    )
    for attacker in (banned, tolerated):
        s = stats(attacker)
        assert s["accepted"] == 0 and s["rejected"] >= 1, s
    assert all(refuses(n, "flood-sig") for n in (n1, n2)), "a bad signature bans the sender"
    assert not any(refuses(n, "flood-rest") for n in (n1, n2))
    assert "flood-sig" not in peer_ids(n1) | peer_ids(n2)
    assert "flood-rest" in peer_ids(n1), "txs that may be honest races cost no ban score"
    assert all(n.status()["mempool_size"] <= 1 for n in (n1, n2))
