"""The plan a finished run was resolved to, rebuilt from its `replay.json` for the reports: who is
honest, each node's hashrate, which miner address belongs to which node, the offered load.

Rebuilding is pure (the scenario text and the seed), so a report never needs the original file.
A replay that cannot be resolved is a problem to state, never a reason to stop rendering.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chaosnet.errors import ChaosnetError
from chaosnet.plan import Plan, resolve
from chaosnet.scenario.loader import load_scenario_text
from reference_node.core.keys import address_of, miner_key


@dataclass(frozen=True)
class RunContext:
    plan: Plan
    scenario_text: str

    @property
    def miner_names(self) -> dict[str, str]:
        return {address_of(miner_key(n)): n for n in self.plan.node_names}

    @property
    def hashrates(self) -> dict[str, float]:
        return {n.name: n.hashrate for n in self.plan.nodes if n.mine}


def context_from_replay(replay: dict[str, Any] | None, problems: list[str]) -> RunContext | None:
    if replay is None:
        return None
    try:
        text = str(replay["scenario_text"])
        plan = resolve(load_scenario_text(text, "replay.json"), int(replay["seed"]))
    except (KeyError, TypeError, ValueError, ChaosnetError) as exc:
        problems.append(f"replay.json cannot be resolved to a plan ({exc})")
        return None
    return RunContext(plan=plan, scenario_text=text)
