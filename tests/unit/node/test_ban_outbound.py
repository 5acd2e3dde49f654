"""A ban holds both ways: a node that banned a peer for invalid data must not take it back as a
peer by dialling it (a topology neighbour it was started with keeps being dialled). Found by
`scenarios/byzantine-third.yaml` on the local backend: one honest node kept an attacker it had
banned among its peers for the whole run."""

from __future__ import annotations

import asyncio
from pathlib import Path

from reference_node.core.errors import InvalidBlock
from tests.unit.node.asgi_network import Network, dial_neighbour, node


def test_a_banned_peer_is_not_taken_back_by_dialling_it(tmp_path: Path) -> None:
    network = Network()
    honest, attacker = node(tmp_path, "honest", 1, network), node(tmp_path, "evil", 2, network)
    address = attacker.config.address

    async def scene() -> tuple[bool, bool]:
        await dial_neighbour(honest, address)
        before = "evil" in honest.peers.table.peers
        honest.peers.penalize("evil", InvalidBlock("bad-pow", "forged proof of work"))
        honest.peers.table.addresses[address].next_try = 0.0
        await honest.peers._dial(address)
        return before, "evil" in honest.peers.table.peers

    connected_before, connected_after = asyncio.run(scene())
    honest.store.close()
    attacker.store.close()
    assert connected_before
    assert not connected_after
