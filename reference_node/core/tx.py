"""Transactions of the account model: a signed transfer with a per-sender nonce.

Two valid transactions with the same sender and nonce are a double spend: the nonce rule lets at
most one of them into a chain. The coinbase is a transaction too (sender all zeros, no signature,
nonce = block height) so the merkle root commits to the reward like to everything else.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from . import keys
from .encoding import MAX_U63, expect_object, get_hex, get_int, raise_decode, sha256
from .errors import InvalidTx

COINBASE_SENDER = "00" * 32
_DOMAIN = b"chaosnet-tx-v1"
_FIELDS = frozenset({"sender", "recipient", "amount", "fee", "nonce", "signature"})


@dataclass(frozen=True, slots=True)
class Transaction:
    sender: str
    recipient: str
    amount: int
    fee: int
    nonce: int
    signature: str
    txid: str = field(init=False, compare=False, repr=False)
    _encoded: str | None = field(init=False, compare=False, repr=False, default=None)
    _signature_valid: bool = field(init=False, compare=False, repr=False, default=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "txid", sha256(self.signing_bytes() + self.signature_bytes()).hex()
        )

    @property
    def is_coinbase(self) -> bool:
        return self.sender == COINBASE_SENDER

    def signing_bytes(self) -> bytes:
        """What the sender signs: every field but the signature, fixed width."""
        return (
            _DOMAIN
            + bytes.fromhex(self.sender)
            + bytes.fromhex(self.recipient)
            + struct.pack(">QQQ", self.amount, self.fee, self.nonce)
        )

    def signature_bytes(self) -> bytes:
        return bytes.fromhex(self.signature)

    def to_json(self) -> dict[str, Any]:
        return {
            "sender": self.sender,
            "recipient": self.recipient,
            "amount": self.amount,
            "fee": self.fee,
            "nonce": self.nonce,
            "signature": self.signature,
        }

    def encoded(self) -> str:
        """`to_json` as compact JSON text, made once per object: each node stores every
        transaction (mempool row, block body), and a simulator's nodes share the objects."""
        if self._encoded is None:
            text = json.dumps(self.to_json(), separators=(",", ":"))
            object.__setattr__(self, "_encoded", text)
            return text
        return self._encoded

    @classmethod
    def from_json(cls, obj: object) -> Transaction:
        """Parse a wire transaction; raises DecodeError on unknown fields or wrong types."""
        d = expect_object(obj, "tx", _FIELDS)
        sender = get_hex(d, "sender", "tx", 32)
        if sender == COINBASE_SENDER:
            signature = d["signature"]
            if signature != "":
                raise_decode("tx.signature of a coinbase must be empty")
        else:
            signature = get_hex(d, "signature", "tx", 64)
        return cls(
            sender=sender,
            recipient=get_hex(d, "recipient", "tx", 32),
            amount=get_int(d, "amount", "tx"),
            fee=get_int(d, "fee", "tx"),
            nonce=get_int(d, "nonce", "tx"),
            signature=signature,
        )

    def check_signature(self) -> None:
        """Context-free checks: a signed, non-coinbase transfer with a valid signature. A pass
        is remembered on the (immutable) object: a simulator's nodes share one object per
        relayed transaction, and each would otherwise rebuild the signed bytes to look it up."""
        if self._signature_valid:
            return
        if self.is_coinbase:
            raise InvalidTx("coinbase", "a coinbase is only valid as the first tx of a block")
        if self.amount + self.fee > MAX_U63:
            raise InvalidTx("overflow", "amount + fee exceeds 2**63-1")
        if not keys.verify(self.sender, self.signature_bytes(), self.signing_bytes()):
            raise InvalidTx("bad-signature", f"signature does not match sender {self.sender}")
        object.__setattr__(self, "_signature_valid", True)


def make_transfer(
    private_key: Ed25519PrivateKey, recipient: str, amount: int, fee: int, nonce: int
) -> Transaction:
    """Build and sign a transfer from `private_key`'s account."""
    sender = keys.address_of(private_key)
    unsigned = Transaction(sender, recipient, amount, fee, nonce, "")
    signature = private_key.sign(unsigned.signing_bytes()).hex()
    return Transaction(sender, recipient, amount, fee, nonce, signature)


def make_coinbase(miner: str, amount: int, height: int) -> Transaction:
    return Transaction(COINBASE_SENDER, miner, amount, 0, height, "")
