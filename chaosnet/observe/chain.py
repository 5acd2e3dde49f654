"""The final chain of a node, fetched block by block and replayed through the node core's own
validation in this process: an independent check that no honest node accepted an invalid block.
"""

from __future__ import annotations

import json
from typing import Any

from chaosnet.httpclient import Read
from chaosnet.specs import ChainSpec
from reference_node.core.block import Block
from reference_node.core.chain import ChainState, MemorySource
from reference_node.core.errors import NodeError
from reference_node.core.params import ChainParams

MAX_FETCH = 5_000  # blocks; scenarios are minutes long, this bounds a runaway chain


def fetch_chain(read: Read, base_url: str, height: int) -> list[Block]:
    """Blocks 1..height of the node's active chain (genesis is implied by the chain settings);
    ValueError for an answer that is not a block."""
    blocks = []
    for h in range(1, min(height, MAX_FETCH) + 1):
        url = f"{base_url}/blocks/height/{h}"
        status, content = read(url)
        if status != 200:
            raise ValueError(f"GET {url}: HTTP {status}")
        blocks.append(Block.from_json(_block_body(json.loads(content))))
    return blocks


def _block_body(doc: dict[str, Any]) -> dict[str, Any]:
    body = doc.get("block", doc)
    return {"header": body["header"], "txs": body["txs"]}


def replay(blocks: list[Block], chain: ChainSpec) -> str | None:
    """Connect `blocks` from genesis with full validation; None when valid, else the reason."""
    params = ChainParams(
        difficulty=chain.difficulty, genesis_accounts=chain.genesis_accounts, reward=chain.reward
    )
    state = ChainState(params, MemorySource())
    for height, block in enumerate(blocks, start=1):
        try:
            update = state.add_block(block, now_ms=2**62)
        except NodeError as exc:
            return f"block {height} ({block.hash[:12]}): {exc}"
        if state.height != height:
            return f"block {height} ({block.hash[:12]}) did not extend the chain: {update}"
    return None
