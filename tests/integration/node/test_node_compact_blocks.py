"""Compact block relay between real node processes: a block whose transactions the receiver
already holds crosses the wire as header + short ids (fewer bytes than the full block), and a
node started with --no-compact-blocks still gets full blocks and converges with the rest."""

from __future__ import annotations

import re

import pytest

from reference_node.core.keys import account_address, account_key
from reference_node.core.tx import make_transfer

pytestmark = pytest.mark.timeout(180)

MINER = ("--mine", "--mining", "simulated", "--block-interval", "1.5", "--seed", "3")
SENDERS = 8
NONCES = 12


def metric(node, name: str) -> float:
    found = re.search(rf"^{name} (\S+)$", node.get("/metrics").text, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


def send_load(node) -> list[str]:
    """SENDERS x NONCES transfers to `node`, all valid together."""
    txids = []
    for nonce in range(NONCES):
        for sender in range(SENDERS):
            tx = make_transfer(account_key(sender), account_address(sender + 1), 5, 1, nonce)
            assert node.post("/tx", json=tx.to_json()).status_code == 202
            txids.append(tx.txid)
    return txids


def all_confirmed(node, txids: list[str]) -> bool:
    """Each sender's last transfer confirmed, so every earlier nonce is too."""
    last = txids[-SENDERS:]
    return all(node.get(f"/tx/{t}").json().get("confirmations", 0) >= 1 for t in last)


def relay_pair(spawn, wait, name: str, *receiver_flags: str):
    """A miner and one receiver; the load goes to the receiver, so the miner can only put into a
    block a tx the receiver already holds, however the two race. Returns the receiver and the
    miner's body bytes out: the blocks it relayed, over the same peer chatter in both modes."""
    miner = spawn(f"{name}-miner", *MINER)
    receiver = spawn(f"{name}-receiver", "--peers", miner.address, *receiver_flags)
    wait(lambda: len(miner.status()["peers"]) == 1, 20, f"{name}: the receiver connected")
    txids = send_load(receiver)
    wait(lambda: all_confirmed(receiver, txids), 60, f"{name}: every tx confirmed on the receiver")
    return receiver, metric(miner, "chaosnet_bytes_out_total")


def test_blocks_cross_the_wire_compactly_and_cost_fewer_bytes(spawn, wait):
    compact_receiver, compact_bytes = relay_pair(spawn, wait, "compact")
    full_receiver, full_bytes = relay_pair(spawn, wait, "full", "--no-compact-blocks")
    assert metric(compact_receiver, "chaosnet_compact_blocks_total") >= 1
    assert metric(full_receiver, "chaosnet_compact_blocks_total") == 0
    assert metric(compact_receiver, "chaosnet_compact_block_missing_txs_total") == 0
    assert compact_bytes < full_bytes * 0.6, (compact_bytes, full_bytes)


def test_a_node_without_compact_blocks_converges_with_nodes_that_use_them(spawn, wait):
    n1 = spawn("n1", *MINER, "--hashrate", "0.5")
    n2 = spawn("n2", "--peers", n1.address)
    n3 = spawn("n3", *MINER, "--hashrate", "0.5", "--no-compact-blocks", "--peers", n2.address)
    nodes = [n1, n2, n3]
    wait(lambda: all(len(n.status()["peers"]) == 2 for n in nodes), 20, "a full mesh")
    txids = send_load(n1)
    wait(lambda: all(all_confirmed(n, txids) for n in nodes), 60, "every tx confirmed everywhere")

    def same_tip():
        tips = {n.status()["tip"] for n in nodes}
        return len(tips) == 1

    wait(same_tip, 30, "one common tip")
    assert metric(n2, "chaosnet_compact_blocks_total") >= 1
    assert metric(n3, "chaosnet_compact_blocks_total") == 0, "n3 never asked for compact blocks"
    assert metric(n1, "chaosnet_compact_block_fallbacks_total") == 0
