"""`replay.json`: what a run needs to be repeated with exactly the same fault schedule.

It holds the scenario's text (so later edits of the file do not change a replay), the seed and
the resolved schedule with its digest. Replaying re-resolves the text with the seed and refuses
to run if the schedule comes out different (a changed chaosnet version, say).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chaosnet import __version__
from chaosnet.errors import UsageError
from chaosnet.plan import Plan, resolve
from chaosnet.scenario.loader import load_scenario_text


def write_replay(path: Path, plan: Plan, scenario_text: str) -> None:
    doc = {
        "chaosnet_version": __version__,
        "scenario_file": str(plan.scenario.source) if plan.scenario.source else None,
        "scenario_text": scenario_text,
        "seed": plan.seed,
        "schedule_digest": plan.schedule_digest(),
        "schedule": plan.schedule_json(),
    }
    path.write_text(json.dumps(doc, indent=2))


def load_replay(path: Path) -> tuple[Plan, str]:
    """The plan a replay file describes, and the scenario text it was resolved from."""
    try:
        doc: dict[str, Any] = json.loads(path.read_text())
        text, seed, digest = doc["scenario_text"], int(doc["seed"]), doc["schedule_digest"]
        filename = doc.get("scenario_file") or str(path)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: not a chaosnet replay file ({exc})") from exc
    scenario = load_scenario_text(text, filename)
    plan = resolve(scenario, seed)
    if plan.schedule_digest() != digest:
        raise UsageError(
            f"{path}: this chaosnet ({__version__}) resolves the scenario to a different fault "
            f"schedule ({plan.schedule_digest()} != {digest}); replay it with version "
            f"{doc.get('chaosnet_version')}"
        )
    return plan, text
