"""Starter scenarios for `chaosnet new`: commented templates that validate as written.

The first line points editors at the schema (`# yaml-language-server: $schema=…`) so they
autocomplete and underline mistakes while the user types.
"""

from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

from chaosnet.errors import UsageError
from chaosnet.scenario.schema import SCHEMA_ID, schema_path

TEMPLATES = ("minimal", "partition", "chaos", "attack")


def target_path(name: str) -> Path:
    """`my-test` → `my-test.yaml`; anything with a suffix or a folder is taken as a path."""
    path = Path(name)
    return path if path.suffix in (".yaml", ".yml") or len(path.parts) > 1 else Path(f"{name}.yaml")


def scenario_name(path: Path) -> str:
    """A valid scenario name from the file name (`My Test.yaml` → `My-Test`)."""
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", path.stem).strip("-._")[:40]
    return cleaned or "scenario"


def schema_reference(target: Path) -> str:
    """The schema as editors should find it from `target`: a relative path inside the project
    that holds the schema, an absolute path elsewhere, its `$id` URL when it cannot be found."""
    try:
        schema = schema_path()
    except FileNotFoundError:
        return SCHEMA_ID
    folder = target.resolve().parent
    if folder.is_relative_to(schema.parents[1]):
        return os.path.relpath(schema, folder)
    return str(schema)


def render_starter(name: str, template: str, schema_ref: str, filename: str = "THIS_FILE") -> str:
    if template not in TEMPLATES:
        raise UsageError(f"unknown template {template!r}; choose one of {', '.join(TEMPLATES)}")
    body = (resources.files("chaosnet.scenario") / "templates" / f"{template}.yaml").read_text(
        encoding="utf-8"
    )
    header = f"# yaml-language-server: $schema={schema_ref}\n"
    return header + body.replace("__NAME__", name).replace("__FILE__", filename)


def write_starter(name: str, template: str) -> Path:
    """Write a new scenario file; never overwrites (UsageError instead)."""
    target = target_path(name)
    if target.exists():
        raise UsageError(f"{target} already exists; choose another name or delete it first")
    if not target.parent.is_dir():
        raise UsageError(f"folder {target.parent} does not exist")
    text = render_starter(scenario_name(target), template, schema_reference(target), str(target))
    with target.open("x", encoding="utf-8") as handle:
        handle.write(text)
    return target
