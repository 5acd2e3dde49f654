"""The persona interface, implemented honestly: every hook returns what an honest node does.

Attack personas override the hooks, and `run` for what they do on their own initiative (flooding,
opening identities, releasing a private chain). Arguments arrive as strings from
`--persona-arg KEY=VALUE`; the `*_arg` helpers turn them into numbers or fail with PersonaError,
which the CLI reports with exit code 2.

A persona is composed, not reached into: `bind` hands it three narrow ports, `OwnNode` (its view
of the chain and the two inputs an attacker feeds its own node), `PeerList` (whom it can reach)
and a `Wire` (send as any identity). It never sees the store or the peer manager, so the node and
the P2P layer may change inside without breaking an attacker, and a simulator can bind fakes.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from ..core.block import Block
from ..core.chain import ChainState, ChainUpdate
from ..core.errors import NodeError
from ..core.params import ChainParams
from ..core.tx import Transaction
from .wire import Wire

log = logging.getLogger("reference_node.persona")

Stats = dict[str, int | float | str]


class OwnNode(Protocol):
    """The attacker's own node as a persona sees it (implemented by `reference_node.node.Node`)."""

    @property
    def chain(self) -> ChainState: ...

    @property
    def params(self) -> ChainParams: ...

    @property
    def miner_address(self) -> str: ...

    @property
    def node_id(self) -> str: ...

    @property
    def address(self) -> str:
        """HOST:PORT peers know us by."""

    @property
    def host(self) -> str:
        """The interface the node listens on (identities listen there too)."""

    def now_ms(self) -> int: ...

    def submit_tx(self, tx: Transaction, origin: str | None = None) -> str:
        """Admit a transaction as a user would (raises InvalidTx)."""

    def take_own_blocks(self, blocks: Sequence[Block], push: bool = False) -> None:
        """Take blocks we mined into our chain, in order (pushed to peers only with `push`)."""

    def tx_height(self, txid: str) -> int | None:
        """The height of the active-chain block holding `txid`, None when unconfirmed."""

    def keep_private(self, state: dict[str, Any]) -> None:
        """Persist the persona's private state (JSON), so a restart of the attacker keeps it."""

    def kept_private(self) -> dict[str, Any] | None:
        """What `keep_private` last saved for this persona, None when nothing usable was."""


class PeerInfo(Protocol):
    """A connected peer: who it is, where we send to reach it, how high it claims to be."""

    @property
    def node_id(self) -> str: ...

    @property
    def dial(self) -> str: ...

    @property
    def address(self) -> str:
        """What the peer advertises."""

    @property
    def height(self) -> int: ...


class PeerList(Protocol):
    """The node's peers as a persona sees them (implemented by `p2p.manager.PeerManager`)."""

    def connected(self) -> Sequence[PeerInfo]: ...

    def seed_dials(self) -> list[str]:
        """The configured --peers/--bootstrap addresses, whether or not they are connected."""

    def dial_of(self, node_id: str) -> str | None:
        """Where to send to reach `node_id`: a connected peer, or an address learned for it."""

    def hello(self) -> dict[str, Any]:
        """Our handshake document (identities copy it with their own id and address)."""


def peer_dials(peers: PeerList) -> list[str]:
    """Whom to attack: connected peers, or the configured seeds once they have all dropped us."""
    return [p.dial for p in peers.connected()] or peers.seed_dials()


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
        self._node: OwnNode | None = None
        self._peers: PeerList | None = None
        self._wire: Wire | None = None

    @property
    def node(self) -> OwnNode:
        assert self._node is not None, "persona used before bind()"
        return self._node

    @property
    def peers(self) -> PeerList:
        assert self._peers is not None, "persona used before bind()"
        return self._peers

    @property
    def wire(self) -> Wire:
        assert self._wire is not None, "persona used before bind()"
        return self._wire

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

    def bind(self, node: OwnNode, peers: PeerList, wire: Wire) -> None:
        """Called once by the wiring (`reference_node.app`) after the node and its peers exist."""
        self._node, self._peers, self._wire = node, peers, wire

    async def run(self) -> None:
        """Background work for the node's lifetime (cancelled at shutdown); honest: none."""

    async def close(self) -> None:
        """Last words at a graceful shutdown, while the network is still up; honest: none."""

    def stats(self) -> Stats:
        """Counters shown in `/status` as `persona_stats`."""
        return {}

    def on_tip(self, update: ChainUpdate) -> None:
        """The active chain moved (a peer's block, sync, or our own); a withholder reacts."""

    def template(self, block: Block) -> Block:
        """The unsolved block to mine; an attacker may swap parent, transactions or miner."""
        return block

    def mining_parent(self) -> str | None:
        """The block `template` builds on when it is not the tip (None: the tip). The miner
        starts over when this moves, as it does when the tip moves."""
        return None

    def publish_mined(self, block: Block) -> bool:
        """Announce a block this node just mined? A selfish miner withholds it."""
        return True

    def relay_block(self, block: Block, peer_id: str) -> bool:
        """Send `block` to this peer?"""
        return True

    def serves_chain_to(self, peer_id: str | None) -> bool:
        """Answer this caller's header and block requests? An eclipser stonewalls its victim."""
        return True

    def relay_tx(self, tx: Transaction, peer_id: str) -> bool:
        """Send `tx` to this peer?"""
        return True

    def say(self, message: str, *args: object) -> None:
        """One INFO line per attack step, prefixed so the runner's node logs show who did it."""
        log.info("persona %s: " + message, self.name, *args)
