"""The persona interface, implemented honestly: every hook returns what an honest node does."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..core.block import Block
from ..core.errors import NodeError
from ..core.tx import Transaction

if TYPE_CHECKING:
    from ..node import Node


class PersonaError(NodeError):
    """Unknown persona or bad persona arguments; the CLI exits with code 2."""


class Persona:
    name = "honest"
    accepted_args: frozenset[str] = frozenset()

    def __init__(self, args: dict[str, str]) -> None:
        unknown = sorted(set(args) - self.accepted_args)
        if unknown:
            allowed = sorted(self.accepted_args) or "none"
            raise PersonaError(
                f"persona {self.name!r} takes no argument(s) {unknown}; allowed: {allowed}"
            )
        self.args = args
        self.node: Node | None = None

    def attach(self, node: Node) -> None:
        """Called once the node exists, so a persona can read its chain and mempool."""
        self.node = node

    def template(self, block: Block) -> Block:
        """The unsolved block to mine; an attacker may swap parent, transactions or miner."""
        return block

    def publish_mined(self, block: Block) -> bool:
        """Announce a block this node just mined? A selfish miner withholds it."""
        return True

    def relay_block(self, block: Block, peer_id: str) -> bool:
        """Send `block` to this peer?"""
        return True

    def relay_tx(self, tx: Transaction, peer_id: str) -> bool:
        """Send `tx` to this peer?"""
        return True
