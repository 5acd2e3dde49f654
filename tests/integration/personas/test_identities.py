"""Attackers with many identities: sybil floods, and an eclipse of one victim with and without
the node's eclipse defence. Evidence comes from the victims: their peer lists and their tips."""

from __future__ import annotations

import pytest

from .conftest import miner, peer_ids, peers, persona, same_tip, stats

pytestmark = pytest.mark.timeout(120)


def _follows_honest_chain(victim, honest, wait):
    start = victim.height()
    wait(
        lambda: same_tip([victim, *honest], start + 4),
        30,
        f"{victim.name} to follow the honest chain",
    )


def test_sybil_identities_hit_the_peer_cap_and_the_network_carries_on(spawn, wait):
    n1 = spawn("n1", *miner(0.5), "--max-peers", "6")
    n2 = spawn("n2", *miner(0.5), *peers(n1))
    sybil = spawn("sybil", *persona("sybil", identities=12, interval=0.5), *peers(n1, n2))

    def capped():
        s = stats(sybil)
        return s["rounds"] >= 2 and s["handshakes_refused_full"] > 0 and s

    wait(capped, 45, "sybil rounds that hit n1's peer cap")
    ids = peer_ids(n1)
    assert len(ids) == 6 and sum(p.startswith("sybil~") for p in ids) >= 4, ids
    assert "n2" in ids and "n1" in peer_ids(n2), "an honest peer keeps the slot it had"
    _follows_honest_chain(n1, [n2], wait)


def _attackers_only(node):
    ids = peer_ids(node)
    return bool(ids) and all(p.startswith("eve") for p in ids) and ids


@pytest.mark.parametrize("defence", ["off", "on"])
def test_eclipse_takes_every_slot_of_an_undefended_victim(spawn, wait, defence):
    """The honest nodes crash and come back while eve floods the victim: without the defence
    eve's identities hold every slot when they return, the victim refuses them and its tip stops;
    with it, the neighbour it was started with gets its slot back and the victim follows."""
    n2 = spawn("n2", *miner(0.5))
    n3 = spawn("n3", *miner(0.5), *peers(n2))
    n1 = spawn("n1", "--max-peers", "3", "--eclipse-defence", defence, *peers(n2))
    _follows_honest_chain(n1, [n2, n3], wait)
    eve = spawn(
        "eve", *persona("eclipse", victim=n1.address, identities=6, interval=0.5), *peers(n3)
    )
    wait(lambda: stats(eve)["handshakes_accepted"] >= 1, 30, "eve's identities to reach n1")
    n2.kill()
    n3.kill()
    taken = wait(lambda: len(peer_ids(n1)) == 3 and _attackers_only(n1), 30, "eve in every slot")
    caught_at = n1.height()
    n2.start()
    n3.start()
    wait(lambda: n2.height() >= caught_at + 6, 45, "the honest chain to grow by 6 blocks")
    if defence == "off":
        assert _attackers_only(n1), f"n1's peers {peer_ids(n1)} (eve held {taken})"
        assert n1.height() <= caught_at + 1 < n2.height() - 4, "the victim's tip lags"
    else:
        wait(lambda: "n2" in peer_ids(n1), 10, "n1's own neighbour to get its slot back")
        _follows_honest_chain(n1, [n2, n3], wait)
