"""The schema is the single source: complete for editors, and docs/scenarios.md never drifts from it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from chaosnet.scenario import load_scenario_text, load_schema, schema_path
from chaosnet.scenario.reference import EXAMPLE_FILE, render_document
from chaosnet.scenario.schema import SCHEMA_ID, validator

ROOT = Path(__file__).resolve().parents[3]


def _properties(node: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    """Every property schema anywhere in the schema, with a readable path."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for key, child in node.get("properties", {}).items():
            found.append((f"{path}.{key}", child))
        for key, child in node.items():
            found += _properties(child, f"{path}/{key}")
    elif isinstance(node, list):
        for i, child in enumerate(node):
            found += _properties(child, f"{path}[{i}]")
    return found


def test_schema_is_valid_2020_12_with_id_and_examples() -> None:
    schema = load_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$id"] == SCHEMA_ID
    assert schema_path() == ROOT / "schemas" / "scenario.schema.json"
    assert schema["examples"]


def test_every_property_has_a_description() -> None:
    props = _properties(load_schema())
    assert len(props) > 100
    assert [path for path, prop in props if not prop.get("description")] == []


def test_every_example_is_valid_where_it_is_shown() -> None:
    for path, prop in _properties(load_schema()):
        check = validator().evolve(schema={**prop, "$defs": load_schema()["$defs"]})
        for example in prop.get("examples", []):
            assert list(check.iter_errors(example)) == [], (path, example)


def test_the_schema_example_loads() -> None:
    import json

    for example in load_schema()["examples"]:
        load_scenario_text(json.dumps(example))


def test_docs_match_the_schema() -> None:
    doc = ROOT / "docs" / "scenarios.md"
    current = doc.read_text(encoding="utf-8")
    example = (ROOT / EXAMPLE_FILE).read_text(encoding="utf-8")
    assert render_document(current, example) == current, (
        "docs/scenarios.md is out of date: run python -m chaosnet.scenario.reference"
    )


@pytest.mark.parametrize("path", ["nodes.topology.degree", "links.latency", "timeline[].at"])
def test_docs_list_properties_with_their_bounds(path: str) -> None:
    doc = (ROOT / "docs" / "scenarios.md").read_text(encoding="utf-8")
    assert f"- **`{path}`** (" in doc
