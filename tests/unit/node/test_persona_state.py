"""What an attacker keeps across a restart, and what its eclipse identities answer: no sockets.

A persona's private state is one JSON file beside the chain; a file that is damaged or belongs to
another persona is ignored (an attacker restarts without its private chain), never a crash.
"""

from __future__ import annotations

from pathlib import Path

from reference_node.app import NodeApp
from reference_node.behaviors.identities import StalePeer
from reference_node.behaviors.private import PrivateChain
from reference_node.core.mining import build_block, solve
from reference_node.node import PERSONA_STATE_FILE, NodeConfig


def app(tmp_path: Path, persona: str = "majority-reorg") -> NodeApp:
    return NodeApp(
        NodeConfig(
            port=1, data_dir=tmp_path, node_id="w", difficulty=4, genesis_accounts=4,
            persona=persona,
        )
    )  # fmt: skip


def test_withheld_blocks_come_back_after_a_restart(tmp_path):
    first = app(tmp_path, "selfish")
    persona = first.persona
    assert isinstance(persona, PrivateChain)
    chain = first.node.chain
    block = solve(build_block(chain, chain.tip, (), first.node.miner_address, first.node.now_ms()))
    assert persona.publish_mined(block) is False, "a selfish miner withholds what it finds"
    first.store.close()

    again = app(tmp_path, "selfish")
    restored = again.persona
    assert isinstance(restored, PrivateChain)
    assert [b.hash for b, _ in restored.withheld] == [block.hash]
    assert restored.branch is not None and restored.branch.hash == block.hash
    assert again.node.chain.get(block.hash) is None, "still private: not in the block index"
    again.store.close()


def test_a_damaged_or_foreign_state_file_is_ignored(tmp_path):
    app(tmp_path).store.close()
    damaged = (
        "{not json",
        '{"persona": "majority-reorg", "withheld": [1], "base": 3}',
        '{"persona": "majority-reorg", "withheld": 5}',
        '{"persona": "selfish", "withheld": []}',
        "[]",
    )
    for content in damaged:
        (tmp_path / PERSONA_STATE_FILE).write_text(content)
        restarted = app(tmp_path)
        assert isinstance(restarted.persona, PrivateChain)
        assert restarted.persona.withheld == []
        restarted.store.close()


def test_a_stale_peer_answers_like_a_peer_with_nothing_new():
    peer = StalePeer("eve~3", "127.0.0.1:9", lambda: {"node_id": "eve", "height": 7})
    assert peer.answer("POST", "/p2p/handshake", {}) == (
        200,
        {"node_id": "eve~3", "height": 7, "address": "127.0.0.1:9"},
    )
    assert peer.answer("POST", "/p2p/getheaders", {"locator": []}) == (200, {"headers": []})
    hashes = ["ab" * 32]
    assert peer.answer("POST", "/p2p/getblocks", {"hashes": hashes})[1]["missing"] == hashes
    assert peer.answer("GET", "/status", None)[0] == 404
