"""The scenario JSON Schema: where it lives, how it is checked, and messages a user can act on.

`schemas/scenario.schema.json` is the single source of the language: editors autocomplete from it,
`docs/scenarios.md` is generated from it, and the loader validates with it. Bounds on values with
units (`latency` at most `60s`) are written in the schema as `x-minimum`/`x-maximum` literals and
enforced here, because JSON Schema cannot compare `"90s"` with 60. `x-message` on a constraint
replaces jsonschema's generic wording ("is not valid under any of the given schemas").
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

import chaosnet
from chaosnet.scenario import units
from chaosnet.scenario.yamlsource import Document, Position
from chaosnet.scenario.yamlsource import Path as DataPath

SCHEMA_FILE = "scenario.schema.json"
SCHEMA_ID = "https://chaosnet.dev/schemas/scenario.schema.json"  # the schema's `$id`
_CUSTOM_MESSAGE_VALIDATORS = {"oneOf", "anyOf", "not", "minProperties", "maxProperties"}


def schema_path() -> Path:
    """The schema file: `schemas/` beside the package (repo, editable install), else the copy a
    wheel carries in `chaosnet/_schemas/`."""
    package = Path(chaosnet.__file__).resolve().parent
    for candidate in (package.parent / "schemas" / SCHEMA_FILE, package / "_schemas" / SCHEMA_FILE):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{SCHEMA_FILE} is missing from this installation of chaosnet")


@cache
def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return schema


def _bound(keyword: str, compare: Any) -> Any:
    """A validator for `x-minimum`/`x-maximum`: compares a string with units against a literal."""

    def check(
        validator: Any, bound: str, instance: Any, schema: dict[str, Any]
    ) -> Iterator[ValidationError]:
        unit = units.unit_of(bound)
        if unit is None or not isinstance(instance, str):
            return  # numbers are checked by minimum/maximum; malformed strings by pattern
        try:
            value = units.parse(unit, instance)
        except ValueError:
            return
        if compare(value, units.parse(unit, bound)):
            side = "less than the minimum" if keyword == "x-minimum" else "more than the maximum"
            yield ValidationError(f"{instance!r} is {side} of {bound}")

    return check


_Validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator,
    {
        "x-minimum": _bound("x-minimum", lambda value, low: value < low),
        "x-maximum": _bound("x-maximum", lambda value, high: value > high),
    },
)


@cache
def validator() -> Any:
    return _Validator(load_schema())


def schema_problems(document: Document) -> list[tuple[Position, str]]:
    """Every schema violation in the document, located and worded for a person."""
    found: list[tuple[Position, str]] = []
    for error in validator().iter_errors(document.data):
        found.extend(_explain(error, document))
    return found


def show_path(path: DataPath) -> str:
    """`timeline[2].partition` from `("timeline", 2, "partition")`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def _explain(error: ValidationError, document: Document) -> list[tuple[Position, str]]:
    path: DataPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance
    kind = str(error.validator)
    value: Any = error.validator_value

    def at(position: Position, message: str, where: DataPath = path) -> tuple[Position, str]:
        prefix = show_path(where)
        return position, f"{prefix}: {message}" if prefix else message

    here = document.value_position(path)
    if "x-message" in schema and (
        kind in _CUSTOM_MESSAGE_VALIDATORS or (kind == "required" and "properties" not in schema)
    ):
        return [at(here, str(schema["x-message"]) + _found(kind, value, instance))]
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = list(schema.get("properties", {}))
        return [
            at(document.key_position((*path, key)), _unknown_key(key, known))
            for key in instance
            if key not in known
        ]
    if kind == "required" and isinstance(instance, dict):
        return [at(here, f"missing required key {key!r}") for key in value if key not in instance]
    if kind == "dependentRequired" and isinstance(instance, dict):
        return [
            at(document.key_position((*path, key)), f"`{key}` needs `{need}` beside it")
            for key, needs in value.items()
            if key in instance
            for need in needs
            if need not in instance
        ]
    if kind in ("oneOf", "anyOf") and error.context:
        return _explain(best_match(error.context), document)
    return [at(here, _message(error, schema))]


def _found(kind: str, value: Any, instance: Any) -> str:
    """`; found at and after` for exactly-one-of constraints, so the fix is obvious."""
    if not isinstance(instance, dict):
        return ""
    if kind == "maxProperties":
        return "; found " + " and ".join(instance)
    branches = value.get("anyOf", []) if kind == "not" and isinstance(value, dict) else value
    if kind not in ("oneOf", "not") or not isinstance(branches, list):
        return ""
    keys = [b["required"][0] for b in branches if isinstance(b, dict) and "required" in b]
    present = [k for k in keys if k in instance]
    return "; found " + (" and ".join(present) if present else "none")


def _unknown_key(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"unknown key {key!r} (did you mean {close[0]!r}?)"
    return (
        f"unknown key {key!r}; allowed here: {', '.join(known)}"
        if known
        else f"unknown key {key!r}"
    )


_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "nothing",
}


def _describe(instance: Any) -> str:
    if isinstance(instance, dict):
        return "a mapping"
    if isinstance(instance, list):
        return "a list"
    if instance is None:
        return "nothing (an empty value)"
    if isinstance(instance, bool):
        return "true" if instance else "false"
    return repr(instance)


def _unit_word(schema: dict[str, Any], number: float) -> str:
    """A numeric bound in the unit of the schema it came from (`60s`, `100%`)."""
    unit = schema.get("x-unit")
    if unit == units.Unit.DURATION:
        return units.show_seconds(number)
    if unit == units.Unit.FRACTION:
        return units.show_fraction(number)
    return f"{number:g}"


def _message(error: ValidationError, schema: dict[str, Any]) -> str:
    kind, instance = str(error.validator), error.instance
    value: Any = error.validator_value
    unit = schema.get("x-unit")
    if kind in ("type", "pattern") and unit in units.EXPECTED:
        return f"expected {units.EXPECTED[units.Unit(unit)]}, got {_describe(instance)}"
    if kind == "type":
        wanted = value if isinstance(value, list) else [value]
        words = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in wanted)
        return f"expected {words}, got {_describe(instance)}"
    if kind == "pattern" and value == load_schema()["$defs"]["name"]["pattern"]:
        return (
            f"{instance!r} is not a valid name: use letters, digits, '_', '.' or '-', starting "
            "with a letter or digit, at most 40 characters"
        )
    if kind == "enum":
        close = difflib.get_close_matches(str(instance), [str(v) for v in value], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{_describe(instance)} is not one of {', '.join(map(str, value))}{hint}"
    if kind == "const":
        return f"expected {value!r}, got {_describe(instance)}"
    if kind in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        bound = schema.get("x-minimum" if "inimum" in kind else "x-maximum") or _unit_word(
            schema, value
        )
        relation = {
            "minimum": "less than the minimum of",
            "exclusiveMinimum": "not more than",
            "maximum": "more than the maximum of",
            "exclusiveMaximum": "not less than",
        }[kind]
        return f"{_describe(instance)} is {relation} {bound}"
    if kind == "minItems":
        return f"needs at least {value} item{'s' if value != 1 else ''}"
    if kind == "maxItems":
        return f"has more than {value} items"
    if kind == "uniqueItems" and isinstance(instance, list):
        seen: list[Any] = []
        for item in instance:
            if item in seen:
                return f"lists {_describe(item)} more than once"
            seen.append(item)
    if kind == "minProperties":
        return "must not be empty"
    return error.message
