"""Units users write (`500ms`, `1%`, `1MB/s`) turned into base units, and back for messages.

One parser per kind keeps the schema's patterns, the loader and the docs in agreement: the schema
states each pattern, this module gives its meaning (seconds, fractions, bytes, bytes per second).
Sizes are decimal (`1KB` = 1000 bytes) unless written in binary units (`1KiB` = 1024 bytes).
"""

from __future__ import annotations

import re
from enum import StrEnum

_NUMBER = r"(\d+(?:\.\d+)?)"

DURATION_PATTERN = rf"^{_NUMBER} ?(ms|s|m|h)$"
FRACTION_PATTERN = rf"^{_NUMBER} ?%$"
SIZE_PATTERN = rf"^{_NUMBER} ?(B|KB|MB|GB|KiB|MiB|GiB)$"
BANDWIDTH_PATTERN = rf"^{_NUMBER} ?(B|KB|MB|GB|KiB|MiB|GiB|bit|kbit|Mbit|Gbit)/s$"

_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
_BYTES = {
    "B": 1,
    "KB": 1000,
    "MB": 1000**2,
    "GB": 1000**3,
    "KiB": 1024,
    "MiB": 1024**2,
    "GiB": 1024**3,
    "bit": 1 / 8,
    "kbit": 1000 / 8,
    "Mbit": 1000**2 / 8,
    "Gbit": 1000**3 / 8,
}


class Unit(StrEnum):
    DURATION = "duration"
    FRACTION = "fraction"
    SIZE = "size"
    BANDWIDTH = "bandwidth"


PATTERNS = {
    Unit.DURATION: DURATION_PATTERN,
    Unit.FRACTION: FRACTION_PATTERN,
    Unit.SIZE: SIZE_PATTERN,
    Unit.BANDWIDTH: BANDWIDTH_PATTERN,
}

EXPECTED = {
    Unit.DURATION: "a duration like 500ms, 30s, 2m or 1h, or a number of seconds",
    Unit.FRACTION: "a share like 1% or 0.01",
    Unit.SIZE: "a size like 512KB, 200MB or 1GiB, or a number of bytes",
    Unit.BANDWIDTH: "a bandwidth like 512KB/s, 1MB/s or 10Mbit/s, or a number of bytes per second",
}


def parse(unit: Unit, value: float | int | str) -> float:
    """`value` in base units; raises ValueError when it does not match the unit's pattern."""
    if isinstance(value, bool):
        raise ValueError(f"expected {EXPECTED[unit]}, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    match = re.match(PATTERNS[unit], value.strip())
    if match is None:
        raise ValueError(f"expected {EXPECTED[unit]}, got {value!r}")
    number = float(match.group(1))
    if unit is Unit.DURATION:
        return number * _SECONDS[match.group(2)]
    if unit is Unit.FRACTION:
        return number / 100
    return number * _BYTES[match.group(2)]


def unit_of(text: str) -> Unit | None:
    """The unit a literal like `60s` or `100%` is written in (used for bounds in the schema)."""
    for unit, pattern in PATTERNS.items():
        if re.match(pattern, text):
            return unit
    return None


def seconds(value: float | int | str) -> float:
    return parse(Unit.DURATION, value)


def fraction(value: float | int | str) -> float:
    return parse(Unit.FRACTION, value)


def bandwidth(value: float | int | str) -> float:
    return parse(Unit.BANDWIDTH, value)


def show_seconds(value: float) -> str:
    """A duration the way a user would write it (`1.5s`, `500ms`, `2m`)."""
    if value != 0 and value < 1:
        return f"{value * 1000:g}ms"
    if value >= 60 and value % 60 == 0:
        return f"{value / 60:g}m"
    return f"{value:g}s"


def show_fraction(value: float) -> str:
    return f"{value * 100:g}%"
