"""The handshake document: what a node says about itself, and what it accepts from a peer.

Pure (no I/O, no peer table), so both directions of a handshake, the API schema and a persona's
identities agree on one definition. Shape errors are `DecodeError` (400, like any malformed
message); a well-formed hello of another network or protocol version is `HandshakeRefused`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import __version__
from ..core.chain import ChainState
from ..core.encoding import is_hex, raise_decode

PROTOCOL_VERSION = 1
MAX_TEXT = 256
"""Longest node id or address accepted."""


class HandshakeRefused(Exception):
    """A handshake we decline; `status` is the HTTP code to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True, slots=True)
class Hello:
    node_id: str
    address: str
    height: int
    total_work: int
    tip: str | None
    """The peer's tip hash, when it sent a well-formed one."""
    compact_blocks: bool = False
    """It takes compact blocks; absent (an older node) or anything but `true` means no."""


def make_hello(
    chain: ChainState, node_id: str, address: str, compact_blocks: bool = False
) -> dict[str, Any]:
    return {
        "version": PROTOCOL_VERSION,
        "software": __version__,
        "node_id": node_id,
        "genesis": chain.genesis.hash,
        "height": chain.height,
        "total_work": chain.tip.work,
        "best_header_height": chain.best_header.height,
        "address": address,
        "tip": chain.tip.hash,
        "compact_blocks": compact_blocks,
    }


def parse_hello(hello: Any, genesis: str) -> Hello:
    """Check a peer's hello against our network (`genesis`); unknown keys are ignored."""
    if not isinstance(hello, dict):
        raise_decode("handshake must be a JSON object")
    for key in ("node_id", "genesis", "address"):
        value = hello.get(key)
        if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT:
            raise_decode(f"handshake.{key} must be a non-empty string")
    for key in ("version", "height", "total_work"):
        value = hello.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise_decode(f"handshake.{key} must be a non-negative integer")
    tip = hello.get("tip", "")
    if not isinstance(tip, str):
        raise_decode("handshake.tip must be a block hash")
    if hello["version"] != PROTOCOL_VERSION:
        raise HandshakeRefused(400, f"protocol version {hello['version']} != {PROTOCOL_VERSION}")
    if hello["genesis"] != genesis:
        raise HandshakeRefused(400, f"different network: genesis {hello['genesis']} != {genesis}")
    return Hello(
        hello["node_id"],
        hello["address"],
        hello["height"],
        hello["total_work"],
        tip if is_hex(tip, 32) else None,
        hello.get("compact_blocks") is True,
    )
