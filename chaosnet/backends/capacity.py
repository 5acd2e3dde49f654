"""How many nodes a backend can hold, checked before anything starts.

The schema takes up to 200 counted nodes, which the simulator holds in one process (about 2.5 MB
a node, docs/performance.md). Local and docker start a process (or container) per node and a
proxy per link; they were never measured beyond 64, so a larger network is refused there, at the
place the scenario asks for it, rather than left to exhaust the machine.
"""

from __future__ import annotations

from chaosnet.errors import ScenarioError
from chaosnet.scenario.yamlsource import parse

MAX_NODES = {"local": 64, "docker": 64}


def refuse_oversized(text: str, filename: str, backend: str) -> None:
    """Raise `ScenarioError` (`file:line:col: message`) when `nodes.count` exceeds `backend`'s."""
    limit = MAX_NODES.get(backend)
    document = parse(text)
    nodes = document.data.get("nodes") if isinstance(document.data, dict) else None
    count = nodes.get("count") if isinstance(nodes, dict) else None
    if limit is None or not isinstance(count, int) or count <= limit:
        return
    pos = document.value_position(("nodes", "count"))
    raise ScenarioError(
        [
            f"{filename}:{pos.line}:{pos.column}: {count} nodes is more than --backend {backend} "
            f"can hold ({limit}); use --backend sim for up to 200"
        ]
    )
