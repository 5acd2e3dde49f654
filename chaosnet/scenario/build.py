"""Schema- and rule-valid scenario data → the typed `Scenario` (units parsed, groups expanded).

Like CometBFT's manifest → testnet step: this is where defaults are filled, strings become enums
and group names become node names, so the plan and the runner never see YAML shapes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chaosnet.scenario import units
from chaosnet.scenario.model import (
    Action,
    After,
    Assertion,
    AssertionMode,
    At,
    Attacker,
    AttackStart,
    AttackStop,
    ChainSettings,
    Chaos,
    Condition,
    Crash,
    Event,
    Heal,
    Join,
    Leave,
    LinkChange,
    LinkOverride,
    LinkSettings,
    Load,
    LoadPattern,
    MiningMode,
    NodeDef,
    ParamValue,
    Partition,
    PartitionShape,
    Pause,
    Restart,
    Scenario,
    Topology,
    TopologyKind,
    Trigger,
    Wait,
    When,
)
from chaosnet.scenario.roster import Roster, build_roster, hashrates
from chaosnet.scenario.schema import load_schema
from chaosnet.scenario.yamlsource import Document


def build_scenario(document: Document, source: Path | None) -> Scenario:
    data: dict[str, Any] = document.data
    roster = build_roster(data)
    shares = hashrates(roster)[0]
    expand = _Expander(roster)
    nodes = data["nodes"]
    topology = nodes.get("topology", {})
    links = data.get("links", {})
    return Scenario(
        name=data["name"],
        duration=units.seconds(data["duration"]),
        nodes=tuple(
            NodeDef(
                e.name,
                e.role,
                shares[e.name],
                roster.group_of(e.name),
                e.prune,
                e.starts,
                e.max_peers,
                e.eclipse_defence,
            )
            for e in roster.entries
        ),
        source=source,
        description=data.get("description", ""),
        seed=data.get("seed", 0),
        api_version=data["apiVersion"],
        topology=Topology(
            TopologyKind(topology.get("kind", "full-mesh")),
            topology.get("degree", 3),
            tuple((a, b) for a, b in topology.get("links", [])),
        ),
        bootstrap=tuple(nodes.get("bootstrap", [])),
        chain=_chain(data.get("chain", {})),
        links=_link_settings(links),
        link_overrides=tuple(
            override for rule in links.get("rules", []) for override in _rule(rule, expand, roster)
        ),
        load=_load(data["load"], expand) if "load" in data else None,
        timeline=tuple(
            _event(event, expand, document.value_position(("timeline", i)).line)
            for i, event in enumerate(data.get("timeline", []))
        ),
        attackers=tuple(_attacker(a) for a in data.get("attackers", [])),
        assertions=tuple(
            _assertion(item, document.value_position(("assertions", i)).line, expand)
            for i, item in enumerate(data.get("assertions", []))
        ),
    )


class _Expander:
    """Group names → their nodes, keeping the order nodes were declared in."""

    def __init__(self, roster: Roster) -> None:
        self.roster = roster

    def __call__(self, names: str | list[str]) -> tuple[str, ...]:
        wanted: set[str] = set()
        for name in [names] if isinstance(names, str) else names:
            wanted.update(self.roster.groups.get(name, [name]))
        return tuple(n for n in self.roster.names if n in wanted)


def _opt(value: Any, parse: Any) -> Any:
    return None if value is None else parse(value)


def _chain(chain: dict[str, Any]) -> ChainSettings:
    default = ChainSettings()
    return ChainSettings(
        difficulty=chain.get("difficulty", default.difficulty),
        block_interval=units.seconds(chain.get("block_interval", default.block_interval)),
        mining=MiningMode(chain.get("mining", default.mining.value)),
        reward=chain.get("reward", default.reward),
    )


def _link_settings(raw: dict[str, Any]) -> LinkSettings:
    return LinkSettings(
        latency=_opt(raw.get("latency"), units.seconds),
        jitter=_opt(raw.get("jitter"), units.seconds),
        loss=_opt(raw.get("loss"), units.fraction),
        bandwidth=_opt(raw.get("bandwidth"), units.bandwidth),
    )


def _rule(rule: dict[str, Any], expand: _Expander, roster: Roster) -> list[LinkOverride]:
    sources = expand(rule["from"])
    targets = expand(rule["to"]) if "to" in rule else tuple(roster.names)
    settings = _link_settings(rule)
    overrides = [LinkOverride(sources, targets, settings)]
    if not rule.get("oneway", False):
        overrides.append(LinkOverride(targets, sources, settings))
    return overrides


def _load(raw: dict[str, Any], expand: _Expander) -> Load:
    return Load(
        tps=float(raw["tps"]),
        start=units.seconds(raw.get("start", 0)),
        duration=_opt(raw.get("duration"), units.seconds),
        accounts=raw.get("accounts", 50),
        pattern=LoadPattern(raw.get("pattern", "constant")),
        targets=expand(raw.get("targets", [])),
    )


def _condition(raw: str | dict[str, Any], expand: _Expander) -> Condition:
    if isinstance(raw, str):
        return Condition(converged=True)
    return Condition(
        converged=raw.get("converged", False),
        height=raw.get("height"),
        nodes=expand(raw.get("nodes", [])),
    )


def _trigger(raw: dict[str, Any], expand: _Expander) -> Trigger:
    if "at" in raw:
        return At(units.seconds(raw["at"]))
    if "after" in raw:
        return After(raw["after"], units.seconds(raw.get("delay", 0)))
    condition = raw["when"] if "when" in raw else raw["until"]
    return When(_condition(condition, expand), units.seconds(raw["timeout"]))


def _event(raw: dict[str, Any], expand: _Expander, line: int) -> Event:
    return Event(_trigger(raw, expand), _action(raw, expand), raw.get("name"), line)


def _action(raw: dict[str, Any], expand: _Expander) -> Action:
    duration = _opt(raw.get("duration"), units.seconds)
    if "partition" in raw:
        return _partition(raw["partition"], expand)
    if "heal" in raw:
        return Heal()
    if "link" in raw:
        link = raw["link"]
        return LinkChange(
            expand(link.get("nodes", [])), _link_settings(link), link.get("reset", False)
        )
    if "crash" in raw:
        return Crash(raw["crash"], _opt(raw.get("restart_after"), units.seconds))
    if "restart" in raw:
        return Restart(raw["restart"])
    if "pause" in raw:
        return Pause(raw["pause"], duration)
    if "slow" in raw:
        slow = raw["slow"]
        return Pause(
            slow["node"], duration, _link_settings(slow), _opt(slow.get("cpu"), units.fraction)
        )
    if "join" in raw:
        return Join(raw["join"])
    if "leave" in raw:
        return Leave(raw["leave"])
    if "attack" in raw:
        attack = raw["attack"]
        return AttackStart(attack["start"]) if "start" in attack else AttackStop(attack["stop"])
    if "chaos" in raw:
        return _chaos(raw["chaos"], expand)
    return Wait()


def _partition(raw: list[Any] | str | dict[str, Any], expand: _Expander) -> Partition:
    if isinstance(raw, str):
        return Partition(shape=PartitionShape(raw))
    if isinstance(raw, list):
        return Partition(groups=tuple(expand(g) for g in raw))
    shape = _opt(raw.get("shape"), PartitionShape)
    return Partition(tuple(expand(g) for g in raw.get("groups", [])), shape, raw.get("node"))


def _chaos(raw: dict[str, Any], expand: _Expander) -> Chaos:
    default = Chaos(duration=0.0)
    loss = raw.get("loss")
    return Chaos(
        duration=units.seconds(raw["duration"]),
        crash_rate=float(raw.get("crash_rate", default.crash_rate)),
        max_down=units.fraction(raw.get("max_down", default.max_down)),
        restart_after=units.seconds(raw.get("restart_after", default.restart_after)),
        loss=None if loss is None else (units.fraction(loss[0]), units.fraction(loss[1])),
        partition_rate=float(raw.get("partition_rate", default.partition_rate)),
        partition_length=_range_seconds(raw.get("partition_length"), default.partition_length),
        nodes=expand(raw.get("nodes", [])),
    )


def _range_seconds(raw: list[Any] | None, default: tuple[float, float]) -> tuple[float, float]:
    return default if raw is None else (units.seconds(raw[0]), units.seconds(raw[1]))


def _attacker(raw: dict[str, Any]) -> Attacker:
    params = raw.get("params", {})
    return Attacker(
        name=raw["name"],
        persona=raw["persona"],
        hashrate=units.fraction(raw.get("hashrate", 0)),
        victim=raw.get("victim"),
        confirmations=raw.get("confirmations"),
        identities=raw.get("identities"),
        params=tuple((k, _param_text(v)) for k, v in params.items()),
        active_from_start=raw.get("active", True),
    )


def _param_text(value: str | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# Parameters with units, converted to base units; everything else is kept as written.
_PARAM_UNITS: dict[str, dict[str, units.Unit]] = {
    "converge": {"within": units.Unit.DURATION},
    "propagation": {"coverage": units.Unit.FRACTION, "max": units.Unit.DURATION},
    "sync_time": {"max": units.Unit.DURATION},
    "memory": {"max": units.Unit.SIZE},
    "survives_failures": {"fraction": units.Unit.FRACTION},
    "txs_confirmed": {"min": units.Unit.FRACTION},
    "eclipsed": {"min_share": units.Unit.FRACTION, "during": units.Unit.DURATION},
    "banned": {"within": units.Unit.DURATION},
    "expect_rate": {"confidence": units.Unit.FRACTION},
}
_PARAM_DEFAULTS: dict[str, dict[str, ParamValue]] = {
    "propagation": {"coverage": 0.9, "percentile": 90.0},
    "eclipsed": {"min_share": 1.0},
    "expect_rate": {"confidence": 0.95, "trials": 1},
}
_NAME_FORMS = {
    "converge": "converge within {within}{after}",
    "tps": "tps >= {min}",
    "txs_confirmed": "txs_confirmed >= {min} of submitted",
    "propagation": "propagation p{percentile} to {coverage} of nodes <= {max}",
    "sync_time": "sync_time of {node} <= {max}",
    "max_reorg_depth": "max_reorg_depth <= {max}",
    "no_invalid_blocks": "no_invalid_blocks",
    "double_spend": "double_spend never confirmed {confirmations} deep",
    "attacker_share": "attacker_share of {attacker} {bounds}",
    "double_spend_success": "double_spend_success {bounds}",
    "attacker_reorg_depth": "attacker_reorg_depth {bounds}",
    "eclipsed": "eclipsed {victim}: >= {min_share} of its peers for {during}",
    "victim_lag": "victim_lag of {victim} {bounds}",
    "honest_peer": "honest_peer of {victim}",
    "banned": "banned {attackers} within {within}",
    "expect_rate": "expect_rate of {metric} at {expected}",
    "memory": "memory <= {max}",
    "survives_failures": "survives_failures of {fraction}",
    "height": "height >= {min}",
}


def _assertion(item: dict[str, Any], line: int, expand: _Expander) -> Assertion:
    kind, raw = next(iter(item.items()))
    params: dict[str, ParamValue] = dict(_PARAM_DEFAULTS.get(kind, {}))
    shown: dict[str, Any] = {"coverage": "90%", "percentile": 90, "after": "", "min_share": "100%"}
    shown["bounds"] = " and ".join(
        f"{sign} {raw[key]}" for key, sign in (("min", ">="), ("max", "<=")) if key in raw
    )
    for key, value in raw.items():
        if key in ("name", "mode"):
            continue
        unit = _PARAM_UNITS.get(kind, {}).get(key)
        shown[key] = ", ".join(value) if isinstance(value, list) else value
        if unit is not None:
            params[key] = units.parse(unit, value)
        elif key == "nodes":
            continue
        else:
            params[key] = ",".join(value) if isinstance(value, list) else value
    if kind == "converge":
        shown["after"] = f" after {raw['after']}" if "after" in raw else ""
    modes = load_schema()["properties"]["assertions"]["items"]["properties"][kind]["properties"]
    mode = AssertionMode(raw.get("mode", modes["mode"]["enum"][0]))
    name = raw.get("name") or _NAME_FORMS[kind].format(**shown)
    nodes = expand(raw.get("nodes", []))
    return Assertion(kind, name, tuple(sorted(params.items())), mode, line, nodes)
