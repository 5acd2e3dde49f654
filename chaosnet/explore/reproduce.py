"""A scenario file that replays one schedule: the source scenario with its seed pinned and the
faults chaos drew written out as `at:` events, so `chaosnet run FILE` repeats the run.

Each chaos event stays in place with only its `duration`, `nodes` and `loss`: it draws no crash
and no partition, but assertions and reports that name it still find it. Its links' losses are
drawn again, the same: the seed draws them right after the topology, before any crash or
partition (`plan.expand_chaos`), which is why only the first chaos event may carry a `loss`
(`faults.check_explorable`).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from chaosnet.explore.faults import Fault
from chaosnet.scenario import units
from chaosnet.scenario.yamlsource import decode, parse

CHAOS_KEPT = ("duration", "nodes", "loss")


def explicit_scenario(source: Path, seed: int, faults: list[Fault], note: str) -> str:
    """The YAML text; `note` becomes its leading comment (why it exists, how to run it)."""
    data = copy.deepcopy(parse(decode(source.read_bytes())).data)
    data["seed"] = seed
    own = [_without_draws(e) for e in data.get("timeline", [])]
    drawn = [event for k, f in enumerate(faults, start=1) for event in _events(f, k)]
    data["timeline"] = sorted(own + drawn, key=lambda e: units.seconds(e["at"]))
    comment = "".join(f"# {line}\n" for line in note.splitlines())
    body = yaml.safe_dump(
        data, sort_keys=False, allow_unicode=True, width=100, default_flow_style=None
    )
    return comment + body


def _without_draws(event: dict[str, Any]) -> dict[str, Any]:
    if "chaos" not in event:
        return event
    chaos = {k: v for k, v in event["chaos"].items() if k in CHAOS_KEPT}
    return {**event, "chaos": chaos}


def _events(fault: Fault, number: int) -> list[dict[str, Any]]:
    if fault.kind == "partition":
        return [
            {
                "at": _seconds(fault.at),
                "name": f"partition-{number}",
                "partition": [list(side) for side in fault.sides],
            },
            {"at": _seconds(fault.end), "name": f"heal-{number}", "heal": "all"},
        ]
    return [
        {
            "at": _seconds(fault.at),
            "name": f"crash-{number}",
            "crash": fault.node,
            "restart_after": _seconds(fault.length),
        }
    ]


def _seconds(value: float) -> str:
    return f"{round(value, 3):g}s"
