"""The genesis block and its allocation: a pure function of (difficulty, genesis accounts).

Nodes that disagree on either get different genesis hashes, and the handshake keeps them apart.
The genesis block carries no transactions; its merkle root commits to the allocation instead, and it
is exempt from proof of work because it is built, not mined.
"""

from __future__ import annotations

from functools import lru_cache

from .block import ZERO_HASH, Block, Header
from .encoding import sha256
from .keys import account_address
from .params import GENESIS_BALANCE, GENESIS_TIMESTAMP


@lru_cache(maxsize=8)
def genesis_allocation(genesis_accounts: int) -> dict[str, int]:
    """Address → balance of the genesis accounts (key derivation is slow; hence the cache)."""
    return {account_address(i): GENESIS_BALANCE for i in range(genesis_accounts)}


def genesis_block(difficulty: int, genesis_accounts: int) -> Block:
    commitment = sha256(b"chaosnet-genesis:%d:%d" % (genesis_accounts, GENESIS_BALANCE)).hex()
    header = Header(ZERO_HASH, commitment, GENESIS_TIMESTAMP, difficulty, 0, ZERO_HASH)
    return Block(header, ())
