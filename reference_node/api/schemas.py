"""What `/openapi.json` declares, written down once next to the rules it mirrors.

Bodies are parsed by the core (`Transaction.from_json`, `Block.from_json`, the peer manager), not
by pydantic, so their schemas are declared here by hand: every pattern and bound below is one the
parser enforces, and every error answer one a handler gives. Where a parser ignores something (an
unknown key in a handshake, a non-string in an address list) the schema leaves it open, so that a
schema-driven fuzzer (`tests/integration/node/test_openapi_contract.py`) holds the two together.
"""

from __future__ import annotations

from typing import Any

from ..core.block import MAX_BITS
from ..core.encoding import MAX_U63
from ..p2p.compact import MAX_COMPACT_TXS, SHORT_ID_BYTES
from ..p2p.hello import MAX_TEXT, PROTOCOL_VERSION
from ..p2p.manager import MAX_TX_INV
from ..p2p.sync import MAX_HEADERS

HEX32 = "^[0-9a-f]{64}$"
"""A block hash, txid or address: 32 bytes as 64 lowercase hex characters."""
MAX_BLOCKS_PER_ANSWER = 64
MAX_TXS_PER_BATCH = 1000
MAX_LOCATOR = 200
MAX_ADDRS = 1000
MAX_INV_BLOCKS = 1000

Schema = dict[str, Any]

_HASH: Schema = {"type": "string", "pattern": HEX32}
_U63: Schema = {"type": "integer", "minimum": 0, "maximum": MAX_U63}

TX: Schema = {
    "type": "object",
    "required": ["sender", "recipient", "amount", "fee", "nonce", "signature"],
    "properties": {
        "sender": _HASH,
        "recipient": _HASH,
        "amount": _U63,
        "fee": _U63,
        "nonce": _U63,
        "signature": {"type": "string", "pattern": "^[0-9a-f]{128}$"},
    },
    "additionalProperties": False,
}
"""A signed transfer (what a user or a peer submits)."""

_BLOCK_TX: Schema = {
    **TX,
    "properties": {
        **TX["properties"],
        "signature": {"type": "string", "pattern": "^([0-9a-f]{128})?$"},
    },
}
"""A transaction inside a block: the coinbase (sender all zeros) has an empty signature."""

HEADER: Schema = {
    "type": "object",
    "required": ["prev", "merkle_root", "timestamp", "bits", "nonce", "miner"],
    "properties": {
        "prev": _HASH,
        "merkle_root": _HASH,
        "timestamp": _U63,
        "bits": {"type": "integer", "minimum": 0, "maximum": MAX_BITS},
        "nonce": _U63,
        "miner": _HASH,
    },
    "additionalProperties": False,
}

BLOCK: Schema = {
    "type": "object",
    "required": ["header", "txs"],
    "properties": {"header": HEADER, "txs": {"type": "array", "items": _BLOCK_TX}},
    "additionalProperties": False,
}

BLOCK_MESSAGE: Schema = {
    "type": "object",
    "required": ["block"],
    "properties": {"block": BLOCK},
}

COMPACT_BLOCK: Schema = {
    "type": "object",
    "required": ["header", "short_ids", "prefilled"],
    "properties": {
        "header": HEADER,
        "short_ids": {
            "type": "array",
            "maxItems": MAX_COMPACT_TXS,
            "items": {"type": "string", "pattern": f"^[0-9a-f]{{{2 * SHORT_ID_BYTES}}}$"},
        },
        "prefilled": {
            "type": "array",
            "maxItems": MAX_COMPACT_TXS,
            "items": {
                "type": "object",
                "required": ["index", "tx"],
                "properties": {"index": _U63, "tx": _BLOCK_TX},
                "additionalProperties": False,
            },
            "description": "whole txs with their block index (strictly increasing, in range)",
        },
    },
    "additionalProperties": False,
    "description": "a block as header + 6-byte short ids (the coinbase prefilled)",
}

GETBLOCKTXN: Schema = {
    "type": "object",
    "required": ["hash", "indexes"],
    "properties": {
        "hash": _HASH,
        "indexes": {"type": "array", "maxItems": MAX_COMPACT_TXS, "items": _U63},
    },
    "additionalProperties": False,
}


def handshake(genesis: str) -> Schema:
    """A peer's hello; it must be of our network, so the schema names our genesis hash."""
    return {
        "type": "object",
        "required": ["version", "node_id", "genesis", "address", "height", "total_work"],
        "properties": {
            "version": {"type": "integer", "enum": [PROTOCOL_VERSION]},
            "node_id": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
            "genesis": {"type": "string", "enum": [genesis]},
            "address": {"type": "string", "minLength": 1, "maxLength": MAX_TEXT},
            "height": {"type": "integer", "minimum": 0},
            "total_work": {"type": "integer", "minimum": 0},
            "tip": {"type": "string", "description": "a block hash; anything else is ignored"},
            "compact_blocks": {
                "description": "true: send this node compact blocks; anything else means no"
            },
        },
    }


ADDR: Schema = {
    "type": "object",
    "required": ["addrs"],
    "properties": {
        "addrs": {
            "type": "array",
            "maxItems": MAX_ADDRS,
            "description": "'host:port' strings; other items are ignored",
        }
    },
}

P2P_TX: Schema = {
    "type": "object",
    "properties": {
        "tx": TX,
        "txs": {"type": "array", "maxItems": MAX_TXS_PER_BATCH, "items": TX},
    },
    "oneOf": [{"required": ["tx"]}, {"required": ["txs"]}],
    "description": "one transaction, or a relayed batch",
}

INV: Schema = {
    "type": "object",
    "required": ["blocks"],
    "properties": {
        "blocks": {
            "type": "array",
            "maxItems": MAX_INV_BLOCKS,
            "description": "block hashes; other items are ignored",
        },
        "txs": {
            "type": "array",
            "maxItems": MAX_TX_INV,
            "description": "txids; other items are ignored",
        },
    },
}

GETHEADERS: Schema = {
    "type": "object",
    "required": ["locator"],
    "properties": {
        "locator": {
            "type": "array",
            "maxItems": MAX_LOCATOR,
            "description": "block hashes, newest first; others are ignored",
        },
        "count": {"type": "integer", "minimum": 1, "maximum": MAX_HEADERS},
    },
}

GETBLOCKS: Schema = {
    "type": "object",
    "required": ["hashes"],
    "properties": {
        "hashes": {
            "type": "array",
            "maxItems": MAX_BLOCKS_PER_ANSWER,
            "description": "block hashes; unknown ones come back under `missing`",
        }
    },
}


def body(schema: Schema) -> dict[str, Any]:
    """`openapi_extra` for a route that reads its JSON body by hand."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


_ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}},
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` entry of error answers: each is `{"error": "..."}`."""
    return {
        code: {"description": _WHY[code], "content": {"application/json": {"schema": _ERROR}}}
        for code in codes
    }


_WHY = {
    400: "malformed or invalid input (the message names the rule)",
    403: "the calling peer (x-chaosnet-node) is banned",
    404: "not in the active chain or the mempool",
    409: "the caller claims this node's own id",
    410: "the block body was pruned; its header is still served",
    413: "body larger than 4 MiB",
    429: "peer slots full",
}
