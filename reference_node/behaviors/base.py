"""The persona interface, implemented honestly: every hook returns what an honest node does.

Attack personas override the hooks, and `run` for what they do on their own initiative (flooding,
opening identities, releasing a private chain). Arguments arrive as strings from
`--persona-arg KEY=VALUE`; the `*_arg` helpers turn them into numbers or fail with PersonaError,
which the CLI reports with exit code 2.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..core.block import Block
from ..core.chain import ChainUpdate
from ..core.errors import NodeError
from ..core.tx import Transaction

if TYPE_CHECKING:
    from ..node import Node
    from ..p2p.manager import PeerManager

log = logging.getLogger("reference_node.persona")

Stats = dict[str, int | float | str]


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
        self._node: Node | None = None

    @property
    def node(self) -> Node:
        assert self._node is not None, "persona used before attach()"
        return self._node

    # -- argument parsing ------------------------------------------------------------------

    def int_arg(self, key: str, default: int, minimum: int = 0, maximum: int = 10**9) -> int:
        raw = self.args.get(key)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            value = minimum - 1
        if not minimum <= value <= maximum:
            raise PersonaError(
                f"persona {self.name!r}: {key}={raw!r} must be an integer {minimum}..{maximum}"
            )
        return value

    def float_arg(self, key: str, default: float, minimum: float, maximum: float) -> float:
        raw = self.args.get(key)
        if raw is None:
            return default
        try:
            value = float(raw.rstrip("%")) / (100 if raw.endswith("%") else 1)
        except ValueError:
            value = minimum - 1
        if not minimum <= value <= maximum:
            raise PersonaError(
                f"persona {self.name!r}: {key}={raw!r} must be a number {minimum}..{maximum}"
            )
        return value

    def choice_list_arg(self, key: str, choices: tuple[str, ...]) -> tuple[str, ...]:
        raw = self.args.get(key)
        if raw is None:
            return choices
        picked = tuple(k.strip() for k in raw.split(",") if k.strip())
        wrong = [k for k in picked if k not in choices]
        if wrong or not picked:
            raise PersonaError(
                f"persona {self.name!r}: {key}={raw!r}: choose from {','.join(choices)}"
            )
        return picked

    # -- hooks -----------------------------------------------------------------------------

    def attach(self, node: Node) -> None:
        """Called once the node exists, so a persona can read its chain and mempool."""
        self._node = node

    async def run(self, network: PeerManager) -> None:
        """Background work for the node's lifetime (cancelled at shutdown); honest: none."""

    def stats(self) -> Stats:
        """Counters shown in `/status` as `persona_stats`."""
        return {}

    def on_tip(self, update: ChainUpdate) -> None:
        """The active chain moved (a peer's block, sync, or our own); a withholder reacts."""

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

    def say(self, message: str, *args: object) -> None:
        """One INFO line per attack step, prefixed so the runner's node logs show who did it."""
        log.info("persona %s: " + message, self.name, *args)
