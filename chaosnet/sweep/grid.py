"""The grid of a sweep: `--set PATH=VALUES` assignments, and one validated scenario per point.

PATH addresses a field of the scenario file with dots; list items are picked by their `name` (or
their index): `attackers.mallory.hashrate`, `chain.block_interval`, `links.latency`. VALUES is a
range `FROM..TO/STEP` (inclusive, one unit throughout: `10%..45%/5%`, `1s..3s/500ms` is refused),
a list `a,b,c`, or one value. Every point is checked by the scenario loader before anything runs;
a problem names the assignment it came from (`UsageError`, exit 2).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chaosnet.errors import ScenarioError, UsageError
from chaosnet.scenario.loader import load_scenario_text
from chaosnet.scenario.model import Scenario
from chaosnet.scenario.schema import load_schema
from chaosnet.scenario.yamlsource import decode, parse

_NUMBER = r"-?\d+(?:\.\d+)?"
_VALUE = re.compile(rf"^({_NUMBER}) ?([a-zA-Z%/]*)$")
_RANGE = re.compile(r"^(.+?)\.\.(.+?)/(.+)$")
MAX_POINTS = 10_000
_SCALE = {"%": 0.01, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "": 1.0}


@dataclass(frozen=True)
class Value:
    """One value of an axis: as written into the scenario, and as a number for the sweep's tables
    (a share as a fraction, a duration in seconds; None for text)."""

    written: str | int | float
    number: float | None


@dataclass(frozen=True)
class Axis:
    path: tuple[str, ...]
    values: tuple[Value, ...]

    @property
    def name(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class Point:
    """One combination of axis values, and the scenario it makes."""

    index: int
    parameters: dict[str, float | str]
    scenario: Scenario


def parse_assignment(text: str) -> Axis:
    """`PATH=VALUES` → an axis (UsageError naming the assignment when malformed)."""
    path_text, sep, values_text = text.partition("=")
    if not sep or not path_text.strip() or not values_text.strip():
        raise UsageError(
            f"--set {text!r}: write PATH=VALUES, e.g. attackers.eve.hashrate=10%..40%/10%"
        )
    path = tuple(path_text.strip().split("."))
    try:
        values = _values(values_text.strip())
    except ValueError as exc:
        raise UsageError(f"--set {text!r}: {exc}") from None
    return Axis(path, values)


def _values(text: str) -> tuple[Value, ...]:
    ranged = _RANGE.match(text)
    if ranged is None:
        return tuple(_single(part.strip()) for part in text.split(","))
    (low, unit), (high, high_unit), (step, step_unit) = (_number(p) for p in ranged.groups())
    if len({unit, high_unit, step_unit}) != 1:
        raise ValueError(
            f"a range uses one unit throughout, got {unit!r}, {high_unit!r}, {step_unit!r}"
        )
    if step <= 0 or high < low:
        raise ValueError("a range goes up: FROM <= TO and STEP > 0")
    count = round((high - low) / step) + 1
    if count > MAX_POINTS:
        raise ValueError(f"{count} values; at most {MAX_POINTS}")
    numbers = [round(low + i * step, 10) for i in range(count)]
    return tuple(_with_unit(n, unit) for n in numbers)


def _number(text: str) -> tuple[float, str]:
    match = _VALUE.match(text.strip())
    if match is None or match.group(2) not in _SCALE:
        raise ValueError(f"{text!r} is not a number with an optional unit (%, ms, s, m, h)")
    return float(match.group(1)), match.group(2)


def _with_unit(number: float, unit: str) -> Value:
    if unit:
        return Value(f"{number:g}{unit}", round(number * _SCALE[unit], 10))
    return Value(int(number) if number.is_integer() else number, number)


def _single(text: str) -> Value:
    try:
        number, unit = _number(text)
    except ValueError:
        return Value(text, None)
    return _with_unit(number, unit)


def points(scenario_file: Path, axes: list[Axis]) -> list[Point]:
    """Every combination of the axes' values as a validated scenario, in grid order."""
    document = parse(decode(scenario_file.read_bytes()))
    for axis in axes:
        _check_path(document.data, axis)
    grid = []
    for index, combo in enumerate(itertools.product(*(a.values for a in axes))):
        data = copy.deepcopy(document.data)
        for axis, value in zip(axes, combo, strict=True):
            _assign(data, axis.path, value.written)
        shown = ", ".join(f"{a.name}={v.written}" for a, v in zip(axes, combo, strict=True))
        try:
            scenario = load_scenario_text(json.dumps(data, indent=1), f"{scenario_file} ({shown})")
        except ScenarioError as exc:
            raise UsageError(f"with --set {shown}, the scenario is invalid:\n{exc}") from None
        parameters = {
            a.name: v.number if v.number is not None else str(v.written)
            for a, v in zip(axes, combo, strict=True)
        }
        grid.append(Point(index, parameters, dataclasses.replace(scenario, source=scenario_file)))
    return grid


def _check_path(data: Any, axis: Axis) -> None:
    """Walk the path through the file's data and the schema; a wrong step is named with the
    fields that would have been right."""
    schema, here = load_schema(), data
    for depth, key in enumerate(axis.path):
        where = ".".join(axis.path[:depth]) or "the top level"
        if schema.get("type") == "array" or isinstance(here, list):
            here = _item(here, key, where, axis)
            schema = _resolve(schema.get("items", {}))
            continue
        fields = schema.get("properties", {})
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(fields) or "none: it is a single value"
            raise UsageError(
                f"--set {axis.name}: no field {key!r} under {where}{hint}; fields: {known}"
            )
        schema = _resolve(fields[key])
        here = here.get(key) if isinstance(here, dict) else None


def _item(items: Any, key: str, where: str, axis: Axis) -> Any:
    if not isinstance(items, list):
        raise UsageError(f"--set {axis.name}: {where} is not written in the scenario as a list")
    names = [i.get("name") for i in items if isinstance(i, dict)]
    if key in names:
        return items[names.index(key)]
    if key.isdigit() and int(key) < len(items):
        return items[int(key)]
    raise UsageError(
        f"--set {axis.name}: {where} has no item named {key!r} "
        f"(names: {', '.join(str(n) for n in names) or 'none'}; or an index below {len(items)})"
    )


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    resolved: dict[str, Any] = load_schema()["$defs"][ref.rsplit("/", 1)[-1]]
    return resolved


def _assign(data: Any, path: tuple[str, ...], value: str | int | float) -> None:
    here = data
    for key in path[:-1]:
        if isinstance(here, list):
            names = [i.get("name") for i in here if isinstance(i, dict)]
            here = here[names.index(key)] if key in names else here[int(key)]
        else:
            here = here.setdefault(key, {})
    if isinstance(here, list):
        here[int(path[-1])] = value
    else:
        here[path[-1]] = value
