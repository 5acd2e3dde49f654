"""Scenario file → `Scenario`, or a `ScenarioError` listing every problem as `file:line:col: message`.

Three passes, each reporting all it finds: YAML (safe parsing, positions, duplicate keys, size and
alias limits), the JSON Schema, then the cross-field rules (`semantics.py`). A pass runs only when
the one before it found nothing, because later passes rely on the shapes earlier ones guarantee.
"""

from __future__ import annotations

from pathlib import Path

from chaosnet.errors import ScenarioError
from chaosnet.scenario.build import build_scenario
from chaosnet.scenario.model import Scenario
from chaosnet.scenario.schema import schema_problems, show_path
from chaosnet.scenario.semantics import semantic_problems
from chaosnet.scenario.yamlsource import MAX_BYTES, Position, YamlProblem, decode, parse


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and type the scenario at `path`."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError([f"{path}: cannot read the scenario: {exc.strerror or exc}"]) from None
    if len(raw) > MAX_BYTES:
        size = path.stat().st_size
        raise ScenarioError(
            [f"{path}:1:1: file is {size / 1_000_000:.1f} MB; a scenario may be at most 1 MB"]
        )
    return _load(raw, str(path), path)


def load_scenario_text(text: str | bytes, filename: str = "<scenario>") -> Scenario:
    """Validate and type scenario text; `filename` only labels the messages."""
    return _load(text, filename, None)


def _load(content: str | bytes, filename: str, source: Path | None) -> Scenario:
    def located(problems: list[tuple[Position, str]]) -> ScenarioError:
        ordered = sorted(set(problems), key=lambda p: (p[0].line, p[0].column, p[1]))
        return ScenarioError([f"{filename}:{p.line}:{p.column}: {m}" for p, m in ordered])

    try:
        text = decode(content) if isinstance(content, bytes) else content
        document = parse(text)
    except YamlProblem as exc:
        raise located(exc.problems) from None
    if not isinstance(document.data, dict):
        kind = "a list" if isinstance(document.data, list) else f"{document.data!r}"
        raise located(
            [(Position(1, 1), f"a scenario is a mapping of keys (apiVersion, name, …), not {kind}")]
        )
    problems = schema_problems(document)
    if problems:
        raise located(problems)
    rule_problems = semantic_problems(document.data)
    if rule_problems:
        raise located(
            [
                (document.value_position(path), f"{show_path(path)}: {message}")
                for path, message in rule_problems
            ]
        )
    scenario = build_scenario(document, source)
    names: dict[str, int] = {}
    clashes = []
    for index, assertion in enumerate(scenario.assertions):
        if assertion.name in names:
            clashes.append(
                (
                    document.value_position(("assertions", index)),
                    f"assertions[{index}]: same as assertions[{names[assertion.name]}] "
                    f"({assertion.name!r}); remove one or give it a different `name`",
                )
            )
        names.setdefault(assertion.name, index)
    if clashes:
        raise located(clashes)
    return scenario
