"""Read scenario YAML safely and remember where every key and value was written.

PyYAML's constructors forget positions and silently accept duplicate keys, so this module composes
the node graph with a SafeLoader subclass and builds plain Python data itself: it records the
`line:col` of every value (by its path, like `("timeline", 2, "at")`), rejects duplicate keys,
bounds alias expansion and nesting (YAML bombs), and turns every problem into a located message.
Booleans follow YAML 1.2 (`true`/`false` only), so a node named `no` or `on` stays a string, and
dates stay strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

MAX_BYTES = 1_000_000  # a scenario is a page of YAML; anything larger is a mistake or an attack
MAX_VALUES = 100_000  # values after alias expansion: stops "billion laughs" early and fast
MAX_DEPTH = 64  # nesting; also stops recursive aliases

Path = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_PLAIN_TAGS = {
    _STR,
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}


class _TooDeep(Exception):
    def __init__(self, mark: yaml.Mark) -> None:
        self.position = Position(mark.line + 1, mark.column + 1)


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans, no timestamps, and a nesting limit while composing."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise _TooDeep(self.peek_event().start_mark)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


@dataclass(frozen=True)
class Position:
    line: int  # 1-based
    column: int  # 1-based


@dataclass(frozen=True)
class Document:
    """Plain data (dicts, lists, str, int, float, bool, None) and where each piece was written."""

    data: Any
    values: dict[Path, Position]
    keys: dict[Path, Position]  # the key that introduced the value at this path

    def value_position(self, path: Path) -> Position:
        """Where the value at `path` (or its nearest written ancestor) starts."""
        for end in range(len(path), -1, -1):
            found = self.values.get(path[:end])
            if found is not None:
                return found
        return Position(1, 1)

    def key_position(self, path: Path) -> Position:
        return self.keys.get(path) or self.value_position(path)


class YamlProblem(Exception):
    """One or more located problems, each `(position, message)`; the loader adds the file name."""

    def __init__(self, problems: list[tuple[Position, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(m for _, m in problems))


def decode(raw: bytes) -> str:
    """UTF-8 text (a BOM is allowed); binary data gets a located message instead of a crash."""
    if len(raw) > MAX_BYTES:
        raise YamlProblem(
            [(Position(1, 1), f"file is {_megabytes(len(raw))}; a scenario may be at most 1 MB")]
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        byte = raw[exc.start]
        raise YamlProblem(
            [
                (
                    Position(line, column),
                    f"not UTF-8 text: byte 0x{byte:02x} cannot be decoded "
                    "(is this a binary file? scenarios are UTF-8 YAML)",
                )
            ]
        ) from None


def parse(text: str) -> Document:
    """Compose and build the document; raises YamlProblem with every problem found."""
    if len(text) > MAX_BYTES:
        raise YamlProblem(
            [(Position(1, 1), f"text is {_megabytes(len(text))}; a scenario may be at most 1 MB")]
        )
    loader = _Loader(text) if _printable(text) else None
    if loader is None:
        raise YamlProblem([_unprintable(text)])
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        raise YamlProblem([_syntax_problem(exc, text)]) from None
    except yaml.YAMLError as exc:
        raise YamlProblem([(Position(1, 1), f"not valid YAML: {exc}")]) from None
    except _TooDeep as exc:
        raise YamlProblem([(exc.position, f"nested more than {MAX_DEPTH} levels")]) from None
    finally:
        loader.dispose()
    builder = _Builder(loader)
    if root is None:
        raise YamlProblem([(Position(1, 1), "the file is empty; a scenario is a mapping")])
    data = builder.build(root, (), 0)
    if builder.problems:
        raise YamlProblem(builder.problems)
    return Document(data, builder.values, builder.keys)


def _printable(text: str) -> bool:
    return yaml.reader.Reader.NON_PRINTABLE.search(text) is None


def _unprintable(text: str) -> tuple[Position, str]:
    match = yaml.reader.Reader.NON_PRINTABLE.search(text)
    assert match is not None
    index = match.start()
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    char = ord(match.group())
    return (
        Position(line, column),
        f"control character U+{char:04X} is not allowed in YAML "
        "(is this a binary file? scenarios are UTF-8 YAML)",
    )


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str) -> tuple[Position, str]:
    unclosed = _unclosed(exc, text)
    if unclosed is not None:
        return unclosed
    mark = exc.problem_mark or exc.context_mark
    position = _position(mark)
    problem = exc.problem or "invalid YAML"
    if "'\\t'" in problem:
        return position, "tab character: YAML indents with spaces only; replace the tab with spaces"
    if "expected a single document" in (exc.context or "") or "single document" in problem:
        return position, "more than one YAML document (`---`); a scenario is a single document"
    context = f" ({exc.context})" if exc.context else ""
    return position, f"YAML syntax: {problem}{context}"


_CLOSERS = {"[": "]", "{": "}"}
_FLOW_PROBLEM = re.compile(r"expected ',' or '[\]}]', but got '(?P<got>.*)'$")


def _unclosed(exc: yaml.MarkedYAMLError, text: str) -> tuple[Position, str] | None:
    """A bracket or quote left open, told where it opened: PyYAML reports where the file ran out
    (often many lines later), and its `context_mark` is the opening itself."""
    opened, stopped = exc.context_mark, exc.problem_mark
    if opened is None or stopped is None or not 0 <= opened.index < len(text):
        return None
    opener = text[opened.index]
    problem, context = exc.problem or "", exc.context or ""
    at = _position(opened)
    if context == "while scanning a quoted scalar" and opener in "'\"":
        if "end of stream" in problem:
            return at, f"{opener!r} is never closed (the file ends first)"
        if "document separator" in problem:
            where = _position(stopped)
            return (
                at,
                f"{opener!r} is never closed (a `---` at {where.line}:{where.column} comes first)",
            )
        return None
    flow = _FLOW_PROBLEM.search(problem)
    if not context.startswith("while parsing a flow") or flow is None or opener not in _CLOSERS:
        return None
    closer, got = _CLOSERS[opener], flow["got"]
    where = _position(stopped)
    if got == "<stream end>":
        return at, f"{opener!r} is never closed (the file ends first)"
    if got in _CLOSERS.values():
        return (
            at,
            f"{opener!r} is closed by {got!r} at {where.line}:{where.column}; close it with {closer!r}",
        )
    if stopped.line > opened.line:
        return at, (
            f"{opener!r} is never closed (by {where.line}:{where.column} a ',' or {closer!r} "
            "was expected)"
        )
    return (
        where,
        f"a ',' or {closer!r} is missing before this (inside the {opener!r} at column {at.column})",
    )


def _position(mark: yaml.Mark | None) -> Position:
    return Position(mark.line + 1, mark.column + 1) if mark else Position(1, 1)


def _megabytes(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


class _Builder:
    """Builds plain data from composed nodes, collecting located problems instead of stopping."""

    def __init__(self, loader: _Loader) -> None:
        self.loader = loader
        self.values: dict[Path, Position] = {}
        self.keys: dict[Path, Position] = {}
        self.problems: list[tuple[Position, str]] = []
        self.count = 0

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        at = Position(node.start_mark.line + 1, node.start_mark.column + 1)
        self.count += 1
        if self.count > MAX_VALUES:
            raise YamlProblem(
                [(at, f"more than {MAX_VALUES} values after expanding aliases (a YAML bomb?)")]
            )
        if depth > MAX_DEPTH:
            raise YamlProblem([(at, f"nested more than {MAX_DEPTH} levels (or a recursive alias)")])
        self.values.setdefault(path, at)
        if node.tag not in _PLAIN_TAGS:
            self.problems.append((at, f"unsupported YAML tag {node.tag!r}; write plain values"))
            return None
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node)
        except (ValueError, yaml.YAMLError):
            shown = node.value if len(node.value) <= 40 else node.value[:40] + "…"
            self.problems.append((at, f"{shown!r} is not a valid {node.tag.rsplit(':', 1)[-1]}"))
            return None

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        merges: list[yaml.Node] = []
        for key_node, value_node in node.value:
            at = Position(key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key_node.tag == _MERGE:
                merges.extend(
                    value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                )
                continue
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR:
                shown = key_node.value if isinstance(key_node, yaml.ScalarNode) else "a collection"
                self.problems.append((at, f"keys are text; {shown!r} is not (quote it)"))
                continue
            key = str(key_node.value)
            if key in result:
                first = self.keys[(*path, key)]
                self.problems.append(
                    (at, f"duplicate key {key!r} (first written at line {first.line})")
                )
                continue
            self.keys.setdefault((*path, key), at)
            result[key] = self.build(value_node, (*path, key), depth + 1)
        for merged in merges:
            if not isinstance(merged, yaml.MappingNode):
                at = Position(merged.start_mark.line + 1, merged.start_mark.column + 1)
                self.problems.append((at, "a merge (`<<:`) takes a mapping or a list of mappings"))
                continue
            for key, value in self._mapping(merged, path, depth).items():
                result.setdefault(key, value)
        return result
