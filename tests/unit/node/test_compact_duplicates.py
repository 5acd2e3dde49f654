"""A pushed compact block is judged by its header first: every peer pushes each new block, so
most pushes a node receives are of a block it already holds, and those are acknowledged without
reading the rest. A block it does not hold is still read and checked whole. Real node apps in
one process (ASGI)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx

from reference_node.core.keys import account_address, account_key
from reference_node.core.mining import build_block, solve
from reference_node.core.tx import make_transfer
from tests.unit.node.asgi_network import Network, node


def push(network: Network, to: str, compact: dict[str, Any], sender: str) -> httpx.Response:
    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=network, base_url=f"http://{to}") as client:
            return await client.post(
                "/p2p/cmpctblock", json=compact, headers={"x-chaosnet-node": sender}
            )

    return asyncio.run(post())


def test_a_block_held_is_acknowledged_by_its_header_and_a_new_one_is_read_whole(
    tmp_path: Path,
) -> None:
    network = Network()
    a, b = node(tmp_path, "a", 1, network), node(tmp_path, "b", 2, network)
    paid = make_transfer(account_key(0), account_address(1), 5, 1, 0)
    chain = a.node.chain
    try:
        a.node.submit_tx(paid)
        b.node.submit_tx(paid)
        block = solve(build_block(chain, chain.tip, [paid], "a" * 64, int(time.time())))
        a.node.receive_block(block)
        compact = a.peers.compact.message(block)
        garbled = {**compact, "short_ids": ["not hex"] * len(compact["short_ids"])}

        # a new block is read whole: its malformed short ids are refused (and their sender banned)
        assert push(network, b.config.address, garbled, "x").status_code == 400
        assert b.node.chain.tip.hash != block.hash

        first = push(network, b.config.address, compact, "a")
        assert first.json() == {"accepted": True, "missing": 0}
        assert b.node.chain.tip.hash == block.hash

        # pushed again by another peer: acknowledged on its header, the rest unread
        again = push(network, b.config.address, garbled, "c")
        assert again.status_code == 200
        assert again.json() == {"accepted": True, "missing": 0}
        assert not b.peers.is_banned("c")
    finally:
        a.store.close()
        b.store.close()
