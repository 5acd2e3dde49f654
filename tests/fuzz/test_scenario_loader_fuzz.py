"""Whatever a user (or a fuzzer) feeds the loader, it answers with a Scenario or a ScenarioError.

Three sources of input: arbitrary text and bytes, random YAML documents built from the scenario
vocabulary, and mutations of the seed scenarios (structural and character-level), which reach
the semantic checks and the model builder with almost-valid data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chaosnet.errors import ScenarioError
from chaosnet.scenario import load_scenario_text
from chaosnet.scenario.model import Scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
TEXTS = [p.read_text(encoding="utf-8") for p in SCENARIOS]
DATA = [yaml.safe_load(t) for t in TEXTS]

VOCABULARY = [
    "apiVersion",
    "name",
    "duration",
    "nodes",
    "count",
    "list",
    "miners",
    "groups",
    "topology",
    "kind",
    "degree",
    "links",
    "bootstrap",
    "chain",
    "latency",
    "loss",
    "bandwidth",
    "rules",
    "from",
    "to",
    "timeline",
    "at",
    "after",
    "when",
    "until",
    "timeout",
    "delay",
    "partition",
    "heal",
    "crash",
    "restart_after",
    "join",
    "slow",
    "chaos",
    "attack",
    "start",
    "stop",
    "attackers",
    "persona",
    "hashrate",
    "victim",
    "assertions",
    "converge",
    "within",
    "max",
    "min",
    "role",
    "starts",
    "n1",
    "n2",
    "n9",
    "all",
    "halves",
    "converged",
    "height",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["10s", "500ms", "2m", "1%", "150%", "1MB/s", "-1s", "", "chaosnet/v1"]),
    st.sampled_from(VOCABULARY),
    st.text(max_size=12),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(VOCABULARY) | st.text(max_size=6), inner, max_size=5),
    ),
    max_leaves=25,
)
FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def accepts_or_explains(content: str | bytes) -> None:
    try:
        result = load_scenario_text(content, "fuzz.yaml")
    except ScenarioError as exc:
        assert exc.messages
        assert all(m.startswith("fuzz.yaml:") for m in exc.messages)
    else:
        assert isinstance(result, Scenario)


@FUZZ
@given(st.text(max_size=300))
def test_arbitrary_text(text: str) -> None:
    accepts_or_explains(text)


@FUZZ
@given(st.binary(max_size=300))
def test_arbitrary_bytes(raw: bytes) -> None:
    accepts_or_explains(raw)


@FUZZ
@given(st.dictionaries(st.sampled_from(VOCABULARY), VALUES, max_size=8))
def test_random_documents_from_the_vocabulary(document: dict[str, Any]) -> None:
    accepts_or_explains(yaml.safe_dump(document))


def _mutate(node: Any, path: list[int], replacement: Any, mode: int) -> Any:
    """Replace, drop or extend the part of `node` that `path` (indexes mod size) leads to."""
    if not path or not isinstance(node, dict | list) or not node:
        return replacement
    keys = list(node) if isinstance(node, dict) else list(range(len(node)))
    key = keys[path[0] % len(keys)]
    copy: Any = dict(node) if isinstance(node, dict) else list(node)
    if len(path) == 1 and mode == 1:
        del copy[key]
    elif len(path) == 1 and mode == 2 and isinstance(copy, dict):
        copy[str(replacement)] = replacement
    else:
        copy[key] = _mutate(node[key], path[1:], replacement, mode)
    return copy


@FUZZ
@given(
    st.sampled_from(range(len(DATA))),
    st.lists(st.integers(0, 50), min_size=1, max_size=5),
    VALUES,
    st.integers(0, 2),
)
def test_structural_mutations_of_seed_scenarios(
    which: int, path: list[int], replacement: Any, mode: int
) -> None:
    accepts_or_explains(yaml.safe_dump(_mutate(DATA[which], path, replacement, mode)))


@FUZZ
@given(
    st.sampled_from(range(len(TEXTS))),
    st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 3), st.text(max_size=3)), max_size=4),
)
def test_character_mutations_of_seed_scenarios(
    which: int, edits: list[tuple[int, int, str]]
) -> None:
    text = TEXTS[which]
    for position, delete, insert in edits:
        at = position % (len(text) + 1)
        text = text[:at] + insert + text[at + delete :]
    accepts_or_explains(text)


PLAUSIBLE = st.sampled_from(
    ["n1", "n2", "n4", "n9", "mallory", "east", "heal", "split", "join", "halves", "isolate",
     "converged", "all", "0s", "1s", "59s", "2m", "1h", "0%", "50%", "100%", 0, 1, 3, 7, 64, 0.5]
)  # fmt: skip


def _leaf_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(node, dict):
        return [p for k, v in node.items() for p in _leaf_paths(v, (*prefix, k))]
    if isinstance(node, list):
        return [p for i, v in enumerate(node) for p in _leaf_paths(v, (*prefix, i))]
    return [prefix]


def _replace(node: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy: Any = dict(node) if isinstance(node, dict) else list(node)
    copy[path[0]] = _replace(node[path[0]], path[1:], value)
    return copy


@FUZZ
@given(
    st.sampled_from(range(len(DATA))),
    st.lists(st.tuples(st.integers(0, 1000), PLAUSIBLE), min_size=1, max_size=3),
)
def test_plausible_value_swaps_reach_the_semantic_checks(
    which: int, swaps: list[tuple[int, Any]]
) -> None:
    """Swapping names and amounts keeps most documents schema-valid, so the rules get exercised."""
    document = DATA[which]
    for index, value in swaps:
        leaves = _leaf_paths(document)
        document = _replace(document, leaves[index % len(leaves)], value)
    accepts_or_explains(yaml.safe_dump(document))
