"""What a backend cannot run in a scenario, checked before anything starts, by `run` and by
`validate --backend`: the same messages (`file:line:col: message`) from both.

    local   more nodes than it holds (`capacity`); a slow node's `cpu:` quota (its nodes are
            plain processes, with no quota to set)
    docker  more nodes than it holds
    sim     what a simulation cannot honour (`sim.support`)
"""

from __future__ import annotations

from typing import Any

from chaosnet.backends.capacity import refuse_oversized
from chaosnet.errors import ScenarioError
from chaosnet.scenario.yamlsource import parse

Problem = tuple[tuple[str | int, ...], str]  # where in the document, what is wrong there

LOCAL_CPU = (
    "a CPU quota needs --backend docker (local nodes are plain processes, with no quota to set); "
    "slow the node's links only, or run on docker"
)


def refuse_for_backend(text: str, filename: str, backend: str) -> None:
    """Raise one `ScenarioError` with every problem `backend` has with the scenario `text`."""
    messages: list[str] = []
    try:
        refuse_oversized(text, filename, backend)
    except ScenarioError as exc:
        messages.extend(exc.messages)
    document = parse(text)
    for path, message in _problems(document.data, backend):
        pos = document.value_position(path)
        messages.append(f"{filename}:{pos.line}:{pos.column}: {message}")
    if messages:
        raise ScenarioError(messages)


def _problems(data: Any, backend: str) -> list[Problem]:
    if backend == "local":
        return [(path, LOCAL_CPU) for path in cpu_quotas(data)]
    if backend == "sim":
        from chaosnet.backends.sim.support import unsimulable  # not the simulator itself

        return unsimulable(data)
    return []


def cpu_quotas(data: Any) -> list[tuple[str | int, ...]]:
    """Where the timeline asks for a CPU quota (`timeline[i].slow.cpu`)."""
    timeline = data.get("timeline") if isinstance(data, dict) else None
    return [
        ("timeline", i, "slow", "cpu")
        for i, event in enumerate(timeline if isinstance(timeline, list) else [])
        if isinstance(event, dict)
        and isinstance(event.get("slow"), dict)
        and "cpu" in event["slow"]
    ]
