"""Anchors: a node keeps a slot, across a restart, for the last learned peers it dialled itself.
Identities that flood a node's inbound slots while it is down must not cut it off from the
honest peer it had chosen (Bitcoin Core's anchors.dat; docs/attacks.md, "Eclipse")."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.unit.node.asgi_network import Network, dial_neighbour, node


@pytest.mark.parametrize(
    ("defence", "dialled_before", "reconnects"),
    [
        (True, True, True),  # the anchor keeps its slot
        (False, True, False),  # defence off: the flood holds every slot
        (True, False, False),  # never dialled before: no anchor, no slot
    ],
)
def test_a_restarted_node_reconnects_to_the_peer_it_had_dialled_though_its_slots_are_full(
    tmp_path: Path, defence: bool, dialled_before: bool, reconnects: bool
) -> None:
    network = Network()
    friend = node(tmp_path, "friend", 2, network)
    eve = node(tmp_path, "eve", 3, network)
    address = friend.config.address

    async def before_restart() -> bool:
        victim = node(tmp_path, "victim", 1, network, max_peers=1, eclipse_defence=defence)
        victim.peers.table.learn(address)  # learned from someone's addr, not a --peers neighbour
        await victim.peers._dial(address)
        connected = "friend" in victim.peers.table.peers
        victim.store.close()
        return connected

    async def after_restart() -> bool:
        victim = node(tmp_path, "victim", 1, network, max_peers=1, eclipse_defence=defence)
        victim_address = victim.config.address
        await dial_neighbour(eve, victim_address)  # an identity takes the only slot first
        assert list(victim.peers.table.peers) == ["eve"]
        victim.peers.table.learn(address)
        await victim.peers._dial(address)
        reconnected = "friend" in victim.peers.table.peers
        victim.store.close()
        return reconnected

    if dialled_before:
        assert asyncio.run(before_restart())
    assert asyncio.run(after_restart()) is reconnects
    friend.store.close()
    eve.store.close()
