"""Errors of the node core, each carrying a short machine-readable `reason`.

    NodeError
     └── ValidationError (also a ValueError)
          ├── DecodeError        malformed JSON shape: unknown field, wrong type, bad hex
          ├── InvalidTx          a transaction breaks a rule (signature, nonce, balance, ...)
          └── InvalidBlock       a block or header breaks a rule (PoW, merkle root, time, ...)
               └── TooNew        timestamp too far ahead of `now`: may become valid later

`penalty` is the ban score a peer earns for sending the offending data; the P2P layer adds it,
so a rule that honest peers can trip over during a race (a stale nonce) costs nothing.
"""

from __future__ import annotations


class NodeError(Exception):
    """Root of every error the node raises on purpose."""


class ValidationError(NodeError, ValueError):
    """Data that breaks a rule; `reason` names the rule, the message says what was wrong."""

    default_penalty = 100

    def __init__(self, reason: str, message: str, *, penalty: int | None = None) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason
        self.penalty = self.default_penalty if penalty is None else penalty


class DecodeError(ValidationError):
    """JSON that does not have the shape of the object it claims to be."""

    def __init__(self, message: str) -> None:
        super().__init__("malformed", message)


class InvalidTx(ValidationError):
    """A transaction that cannot enter the mempool or a block."""


class InvalidBlock(ValidationError):
    """A block or header that cannot enter the chain."""


class TooNew(InvalidBlock):
    """A header timestamp too far in the future; not marked invalid, since time will pass."""

    default_penalty = 0
