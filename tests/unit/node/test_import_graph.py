"""No import cycle in `reference_node`: every module can be understood (and replaced, or driven by
a simulator) from the modules below it.

The graph is read from the source with `ast`, counting every import: inside functions and under
`TYPE_CHECKING` too (a cycle hidden from the interpreter is still a cycle for a reader), and the
packages a dotted import executes on the way (`a.b.c` runs `a/b/__init__.py`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import reference_node

ROOT = Path(reference_node.__file__).parent
PACKAGE = "reference_node"


def _module_name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    if level == 0:
        return target or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (level - 1)]
    return ".".join([*base, target] if target else base)


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in ROOT.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node.level, node.module)
                targets.add(base)
                targets.update(f"{base}.{alias.name}" for alias in node.names)
        for target in targets:
            parts = target.split(".")
            for i in range(1, len(parts) + 1):
                prefix = ".".join(parts[:i])
                # a module's own ancestors are already being imported when it runs
                if prefix in files and not name.startswith(prefix + ".") and prefix != name:
                    graph[name].add(prefix)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return None


def test_the_graph_sees_the_imports_it_must():
    graph = import_graph()
    assert "reference_node.core.chain" in graph["reference_node.node"]
    assert "reference_node.behaviors" in graph["reference_node.app"]  # package of make_persona
    assert "reference_node.node" in graph["reference_node.p2p.manager"]


def test_a_cycle_is_found_when_there_is_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_reference_node_has_no_import_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_core_imports_nothing_outside_itself():
    outside = {
        (name, target)
        for name, targets in import_graph().items()
        if name.startswith(PACKAGE + ".core")
        for target in targets
        if not target.startswith(PACKAGE + ".core")
    }
    assert not outside


def test_personas_see_only_their_ports_and_the_core():
    """An attacker is composed from `behaviors.base`'s ports, never reaching into the node, the
    store or the peer manager (what they import is what they can depend on)."""
    allowed = (PACKAGE + ".behaviors", PACKAGE + ".core")
    reaching = {
        (name, target)
        for name, targets in import_graph().items()
        if name.startswith(PACKAGE + ".behaviors")
        for target in targets
        if not target.startswith(allowed)
    }
    assert not reaching
