"""What a backend cannot run in a scenario, checked before anything starts, by `run` and by
`validate --backend`: the same messages (`file:line:col: message`) from both."""

from __future__ import annotations

from chaosnet.backends.capacity import refuse_oversized
from chaosnet.errors import ScenarioError


def refuse_for_backend(text: str, filename: str, backend: str) -> None:
    """Raise one `ScenarioError` with every problem `backend` has with the scenario `text`."""
    messages: list[str] = []
    try:
        refuse_oversized(text, filename, backend)
    except ScenarioError as exc:
        messages.extend(exc.messages)
    if backend == "sim":
        from chaosnet.backends.sim.support import refuse_unsimulable  # not the simulator itself

        try:
            refuse_unsimulable(text, filename)
        except ScenarioError as exc:
            messages.extend(exc.messages)
    if messages:
        raise ScenarioError(messages)
