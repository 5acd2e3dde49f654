"""Ed25519 keys and addresses; an address is the hex of the raw 32-byte public key.

Genesis accounts are derived from a public formula so every node and the load generator agree on
them without talking: account i is the key whose seed is sha256(b"chaosnet-account-%d" % i).
"""

from __future__ import annotations

from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from .encoding import sha256


def private_key_from_seed(seed: bytes) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(sha256(seed))


def account_key(i: int) -> Ed25519PrivateKey:
    """The private key of genesis account `i`."""
    return private_key_from_seed(b"chaosnet-account-%d" % i)


def miner_key(node_id: str) -> Ed25519PrivateKey:
    """The key a node's coinbase pays to: derived from its id, so restarts keep their rewards."""
    return private_key_from_seed(b"chaosnet-miner-" + node_id.encode())


def address_of(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def account_address(i: int) -> str:
    return address_of(account_key(i))


VERIFIED_CACHE_SIZE = 1 << 15
"""Answers remembered per process (about 20 MB at most). One process hosting many nodes (the
simulator) would otherwise verify each relayed transaction once per node, at ~175 us each."""


@lru_cache(maxsize=VERIFIED_CACHE_SIZE)
def verify(address: str, signature: bytes, message: bytes) -> bool:
    """True when `signature` over `message` was made by the key behind `address`; a pure function
    of its arguments, so its answers are cached."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(address)).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True
