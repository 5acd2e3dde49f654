"""SPV proofs: a transaction's merkle branch up to a header, checkable without the block.

A light client holding only headers verifies that a tx is in a block: hash the txid up the branch
and compare with the header's merkle root; the header's own proof of work says it cost something.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .block import Block, Header, leaf_hash, merkle_levels, merkle_step
from .encoding import is_hex
from .errors import ValidationError


def make_proof(block: Block, txid: str) -> dict[str, Any]:
    """The proof `{txid, block_hash, header, index, branch}` for `txid` in `block`."""
    txids = [t.txid for t in block.txs]
    index = txids.index(txid)
    branch: list[str] = []
    position = index
    for level in merkle_levels(txids)[:-1]:
        branch.append(level[position ^ 1].hex())
        position //= 2
    return {
        "txid": txid,
        "block_hash": block.hash,
        "header": block.header.to_json(),
        "index": index,
        "branch": branch,
    }


def verify_proof(proof: Mapping[str, Any], header: Header | Mapping[str, Any]) -> bool:
    """True when `proof` links its txid to `header` (which the caller trusts, e.g. from /headers).

    Never raises on malformed input: anything that is not a well-formed, matching proof is False.
    """
    try:
        trusted = header if isinstance(header, Header) else Header.from_json(dict(header))
        txid, index, branch = proof["txid"], proof["index"], proof["branch"]
        if proof.get("block_hash", trusted.hash) != trusted.hash or not trusted.has_valid_pow():
            return False
        if not (isinstance(txid, str) and is_hex(txid, 32)) or not isinstance(branch, list):
            return False
        if (
            not isinstance(index, int)
            or isinstance(index, bool)
            or not 0 <= index < 2 ** len(branch)
        ):
            return False
        current = leaf_hash(txid)
        for sibling in branch:
            if not (isinstance(sibling, str) and is_hex(sibling, 32)):
                return False
            current = merkle_step(current, bytes.fromhex(sibling), bool(index & 1))
            index >>= 1
        return current.hex() == trusted.merkle_root
    except (KeyError, TypeError, ValidationError):
        return False
