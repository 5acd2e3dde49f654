"""Attackers with many identities: sybil floods and an eclipse attempt on one victim."""

from __future__ import annotations

import pytest

from .conftest import miner, peer_ids, peers, persona, same_tip, stats

pytestmark = pytest.mark.timeout(90)


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

    s = wait(capped, 45, "sybil rounds that hit n1's peer cap")
    assert s["handshakes_accepted"] >= 4, s
    assert len(n1.status()["peers"]) <= 6
    assert "n2" in peer_ids(n1) and "n1" in peer_ids(n2)
    assert any(p.startswith("sybil~") for p in peer_ids(n1)), "the identities do take free slots"
    _follows_honest_chain(n1, [n2], wait)


def test_eclipse_fills_the_victims_free_slots_but_it_keeps_an_honest_peer(spawn, wait):
    n2 = spawn("n2", *miner(0.5))
    n3 = spawn("n3", *miner(0.5), *peers(n2))
    n1 = spawn("n1", "--max-peers", "5", *peers(n2))
    eve = spawn(
        "eve", *persona("eclipse", victim="n1", identities=12, interval=0.5), *peers(n1, n2)
    )

    def attacked():
        s = stats(eve)
        return (
            s["rounds"] >= 2 and s["handshakes_refused_full"] > 0 and s["blocks_withheld"] > 0 and s
        )

    s = wait(attacked, 45, "eclipse rounds that fill n1 while eve withholds blocks")
    assert s["handshakes_accepted"] >= 2, s
    assert len(n1.status()["peers"]) <= 5
    assert peer_ids(n1) & {"n2", "n3"}, "the victim keeps an honest peer"
    _follows_honest_chain(n1, [n2, n3], wait)
