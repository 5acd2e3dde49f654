"""The scenario reference in docs/scenarios.md, generated from the schema so the two never drift.

`python -m chaosnet.scenario.reference` rewrites the generated parts of docs/scenarios.md (between
the `BEGIN GENERATED`/`END GENERATED` markers; the prose around them is hand-written), `--check`
only reports drift (exit 1). `chaosnet schema --markdown` prints the same reference.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import chaosnet
from chaosnet.scenario.schema import load_schema

REFERENCE_BEGIN = "<!-- BEGIN GENERATED REFERENCE: python -m chaosnet.scenario.reference -->"
REFERENCE_END = "<!-- END GENERATED REFERENCE -->"
EXAMPLE_BEGIN = "<!-- BEGIN GENERATED EXAMPLE: scenarios/partition-heal.yaml -->"
EXAMPLE_END = "<!-- END GENERATED EXAMPLE -->"
EXAMPLE_FILE = "scenarios/partition-heal.yaml"

_REF_NAMES = {
    "duration": "duration",
    "fraction": "share",
    "size": "size",
    "bandwidth": "bandwidth",
    "name": "name",
    "names": "list of names",
    "nameOrNames": "name or list of names",
}
_TYPE_NAMES = {
    "object": "mapping",
    "array": "list",
    "string": "text",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
}


def reference_markdown(schema: dict[str, Any] | None = None) -> str:
    """Markdown: units, then every property of the schema with type, bounds, text and examples."""
    schema = schema or load_schema()
    lines = ["### Units", ""]
    for key, definition in schema["$defs"].items():
        if key in ("duration", "fraction", "size", "bandwidth"):
            lines.append(f"- **{_REF_NAMES[key]}**: {definition['description']}")
    lines.append("")
    for key, prop in schema["properties"].items():
        lines += [f"### `{key}`", ""]
        required = key in schema.get("required", [])
        lines += _entries(key, prop, required)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _entries(path: str, prop: dict[str, Any], required: bool) -> list[str]:
    facts = [_type(prop)]
    bounds = _bounds(prop)
    if bounds:
        facts.append(bounds)
    if required:
        facts.append("required")
    line = f"- **`{path}`** ({', '.join(facts)}): {prop.get('description', '')}"
    if prop.get("examples"):
        shown = ", ".join(f"`{_flow(e)}`" for e in prop["examples"])
        line += f" Example{'s' if len(prop['examples']) > 1 else ''}: {shown}."
    lines = [line]
    lines += _children(path, prop)
    return lines


def _children(path: str, prop: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    required = prop.get("required", [])
    for key, child in prop.get("properties", {}).items():
        lines += _entries(f"{path}.{key}", child, key in required)
    items = prop.get("items")
    if isinstance(items, dict) and items.get("type") == "object":
        lines += _children(f"{path}[]", items)
    extra = prop.get("additionalProperties")
    if isinstance(extra, dict) and "description" in extra:
        lines += _entries(f"{path}.<key>", extra, False)
    return lines


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return _REF_NAMES[prop["$ref"].rsplit("/", 1)[-1]]
    if "const" in prop:
        return f"`{_flow(prop['const'])}`"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{v}`" for v in prop["enum"])
    kinds = prop.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = [_TYPE_NAMES.get(str(k), str(k)) for k in kinds]
    if "array" in kinds and isinstance(prop.get("items"), dict):
        item = prop["items"]
        inner = _type(item) if "$ref" in item or "type" in item else "values"
        words[kinds.index("array")] = f"list of {inner}"
    return " or ".join(words)


def _bounds(prop: dict[str, Any]) -> str:
    low = prop.get("x-minimum", prop.get("minimum", prop.get("exclusiveMinimum")))
    high = prop.get("x-maximum", prop.get("maximum"))
    if "exclusiveMinimum" in prop and "minimum" not in prop:
        low = f"above {low}"
    if low is not None and high is not None:
        return f"{low} to {high}"
    if low is not None:
        return f"at least {low}" if "exclusiveMinimum" not in prop else str(low)
    if high is not None:
        return f"at most {high}"
    return ""


def _flow(value: Any) -> str:
    """A value as a YAML flow snippet, the way a user would type it."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _replace(text: str, begin: str, end: str, body: str) -> str:
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if not pattern.search(text):
        raise ValueError(f"markers {begin!r} … {end!r} are missing")
    return pattern.sub(lambda _: f"{begin}\n{body}{end}", text)


def render_document(text: str, example: str, schema: dict[str, Any] | None = None) -> str:
    """docs/scenarios.md with both generated regions brought up to date."""
    text = _replace(text, REFERENCE_BEGIN, REFERENCE_END, reference_markdown(schema))
    return _replace(text, EXAMPLE_BEGIN, EXAMPLE_END, f"```yaml\n{example}```\n")


def main(argv: list[str]) -> int:
    root = Path(chaosnet.__file__).resolve().parents[1]
    doc = root / "docs" / "scenarios.md"
    current = doc.read_text(encoding="utf-8")
    wanted = render_document(current, (root / EXAMPLE_FILE).read_text(encoding="utf-8"))
    if "--check" in argv:
        if current != wanted:
            print(f"{doc} is out of date: run python -m chaosnet.scenario.reference")
            return 1
        return 0
    doc.write_text(wanted, encoding="utf-8")
    print(f"wrote {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
