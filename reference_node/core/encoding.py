"""Canonical encodings: fixed-width binary for what is hashed or signed, strict JSON field readers.

Hashes must not depend on JSON whitespace or key order, so everything hashed is packed with
`struct`; JSON is only the wire format, read through the checkers below so that a wrong type is a
`DecodeError` naming the field instead of a `TypeError` deep inside validation.
"""

from __future__ import annotations

import decimal
import hashlib
import json
from collections.abc import Mapping
from typing import Any, NoReturn

MAX_U63 = 2**63 - 1
"""Largest amount, fee, nonce or timestamp: fits SQLite's signed 64-bit integers."""


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def dumps(obj: Any) -> bytes:
    """Compact, key-sorted JSON: the same object always gives the same bytes."""
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def loads(data: bytes | str) -> Any:
    """Parse JSON, turning every parser failure into a DecodeError.

    A whole number is an integer however it is spelt (`2`, `2.0`, `2e0`), as JSON Schema says and
    `/openapi.json` declares; it is read exactly, so `9007199254740993.0` is not rounded.
    """
    try:
        return json.loads(data, parse_float=_number)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise_decode(f"body is not valid JSON ({exc.__class__.__name__})")


_WHOLE_LIMIT = decimal.Decimal(2**64)


def _number(text: str) -> int | float:
    """A JSON number with a fraction or exponent: an int when it is whole (and not absurdly
    large: `1e999999` stays a float, so no huge integer is ever built), else a float."""
    try:
        value = decimal.Decimal(text)
        if value.copy_abs() <= _WHOLE_LIMIT and value == value.to_integral_value():
            return int(value)
    except decimal.DecimalException:  # an exponent beyond what Decimal's context takes
        pass
    return float(text)


def raise_decode(message: str) -> NoReturn:
    from .errors import DecodeError

    raise DecodeError(message)


def expect_object(obj: object, what: str, fields: frozenset[str]) -> Mapping[str, Any]:
    """Check that `obj` is a JSON object with exactly `fields` as keys."""
    if not isinstance(obj, dict):
        raise_decode(f"{what} must be a JSON object, got {type(obj).__name__}")
    unknown = sorted(set(obj) - fields)
    if unknown:
        raise_decode(f"{what} has unknown field(s) {unknown}; allowed: {sorted(fields)}")
    missing = sorted(fields - set(obj))
    if missing:
        raise_decode(f"{what} is missing field(s) {missing}")
    return obj


def get_int(obj: Mapping[str, Any], field: str, what: str, *, maximum: int = MAX_U63) -> int:
    """A non-negative integer field (booleans are not integers here)."""
    value = obj[field]
    if not isinstance(value, int) or isinstance(value, bool):
        raise_decode(f"{what}.{field} must be an integer, got {type(value).__name__}")
    if not 0 <= value <= maximum:
        raise_decode(f"{what}.{field} must be between 0 and {maximum}, got {value}")
    return int(value)


def get_hex(obj: Mapping[str, Any], field: str, what: str, nbytes: int) -> str:
    """A lowercase hex string of exactly `nbytes` bytes (the one canonical spelling)."""
    value = obj[field]
    if not isinstance(value, str):
        raise_decode(f"{what}.{field} must be a hex string, got {type(value).__name__}")
    if not is_hex(value, nbytes):
        raise_decode(f"{what}.{field} must be {2 * nbytes} lowercase hex characters")
    return str(value)


_HEX = frozenset("0123456789abcdef")


def is_hex(value: str, nbytes: int) -> bool:
    return len(value) == 2 * nbytes and set(value) <= _HEX
