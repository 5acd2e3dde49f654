"""Rules the schema cannot express: names that must exist, times that must fit, shares that must add up.

Runs on schema-valid data only (so every shape is known) and returns every problem with the path of
the value at fault; the loader turns paths into `line:col`. Timeline rule: events are listed in the
order they happen, each waiting for the one above it, so `after:` may only name an event above it
and `at:` times never go backwards.
"""

from __future__ import annotations

from typing import Any

from chaosnet.scenario import units
from chaosnet.scenario.model import Role
from chaosnet.scenario.roster import Problem, Roster, build_roster, hashrates, unknown_node
from chaosnet.scenario.yamlsource import Path

_NODE_ACTIONS = ("crash", "restart", "pause", "join", "leave")


class _Checker:
    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.roster: Roster = build_roster(data)
        self.problems: list[Problem] = list(self.roster.problems)
        self.duration = units.seconds(data["duration"])

    def add(self, path: Path, message: str) -> None:
        self.problems.append((path, message))

    def node(self, name: str, path: Path) -> bool:
        """A single node (not a group) that exists."""
        if name in self.roster.names:
            return True
        if name in self.roster.groups:
            self.add(path, f"{name!r} is a group; name one node here")
        else:
            self.add(path, unknown_node(name, self.roster.names))
        return False

    def members(self, names: list[str] | str, path: Path) -> set[str]:
        """Nodes named directly or through their group."""
        found: set[str] = set()
        for i, name in enumerate([names] if isinstance(names, str) else names):
            where = path if isinstance(names, str) else (*path, i)
            if name in self.roster.groups:
                found.update(self.roster.groups[name])
            elif name in self.roster.names:
                found.add(name)
            else:
                self.add(where, unknown_node(name, self.roster.names, list(self.roster.groups)))
        return found

    def run(self) -> list[Problem]:
        self.problems.extend(hashrates(self.roster)[1])
        self.topology()
        self.links()
        self.load()
        events = self.timeline()
        self.attackers()
        self.assertions(events)
        return self.problems

    def topology(self) -> None:
        nodes = self.data["nodes"]
        topology = nodes.get("topology", {})
        count = len(self.roster.entries)
        kind = topology.get("kind", "full-mesh")
        if kind == "random" and topology.get("degree", 3) >= count and "degree" in topology:
            self.add(
                ("nodes", "topology", "degree"),
                f"degree {topology['degree']} needs more than {topology['degree']} nodes "
                f"(there are {count}); lower it or use kind: full-mesh",
            )
        if kind == "explicit" and not topology.get("links"):
            self.add(
                ("nodes", "topology"), "kind: explicit needs `links`: pairs of nodes that peer"
            )
        for i, (a, b) in enumerate(topology.get("links", [])):
            path: Path = ("nodes", "topology", "links", i)
            self.node(a, (*path, 0))
            self.node(b, (*path, 1))
            if a == b:
                self.add(path, f"a node cannot link to itself ({a!r})")
        for i, name in enumerate(nodes.get("bootstrap", [])):
            if self.node(name, ("nodes", "bootstrap", i)) and not self.starts(name):
                self.add(("nodes", "bootstrap", i), f"bootstrap node {name!r} does not start")

    def starts(self, name: str) -> bool:
        entry = self.roster.entry(name)
        return entry is not None and entry.starts

    def links(self) -> None:
        for i, rule in enumerate(self.data.get("links", {}).get("rules", [])):
            self.members(rule["from"], ("links", "rules", i, "from"))
            if "to" in rule:
                self.members(rule["to"], ("links", "rules", i, "to"))

    def load(self) -> None:
        load = self.data.get("load")
        if load is None:
            return
        if units.seconds(load.get("start", 0)) >= self.duration:
            self.add(("load", "start"), f"starts at or after the end of the run ({self.shown()})")
        self.members(load.get("targets", []), ("load", "targets"))

    def shown(self) -> str:
        return f"duration {units.show_seconds(self.duration)}"

    def timeline(self) -> dict[str, int]:
        """Checks every event; returns the event names with their index."""
        names: dict[str, int] = {}
        latest_at = 0.0
        joined: set[str] = set()
        for index, event in enumerate(self.data.get("timeline", [])):
            path: Path = ("timeline", index)
            name = event.get("name")
            if name in names:
                self.add((*path, "name"), f"duplicate event name {name!r}")
            if "at" in event:
                at = units.seconds(event["at"])
                if at > self.duration:
                    self.add(
                        (*path, "at"),
                        f"{event['at']} is after the end of the run ({self.shown()})",
                    )
                elif at < latest_at:
                    self.add(
                        (*path, "at"),
                        f"{event['at']} is earlier than an event above it "
                        f"(at {units.show_seconds(latest_at)}); list events in the order they happen",
                    )
                else:
                    latest_at = at
            if "after" in event and event["after"] not in names:
                self.add((*path, "after"), self.missing_event(event["after"], index))
            for key in ("when", "until"):
                if isinstance(event.get(key), dict):
                    self.condition(event[key], (*path, key))
            self.action(event, path, joined)
            if name is not None:
                names.setdefault(name, index)
        for entry in self.roster.entries:
            if not entry.starts and entry.name not in joined:
                self.add(
                    entry.path,
                    f"node {entry.name!r} has `starts: false` but no `join: {entry.name}` event",
                )
        return names

    def missing_event(self, name: str, index: int) -> str:
        later = [e.get("name") for e in self.data.get("timeline", [])[index + 1 :] if e.get("name")]
        if name in later:
            return f"event {name!r} is listed below this one; an event can only follow one above it"
        return self.unknown_event(name)

    def unknown_event(self, name: str) -> str:
        known = list(dict.fromkeys(e["name"] for e in self.data.get("timeline", []) if "name" in e))
        listed = ", ".join(known) if known else "none; give an event a `name:`"
        return f"no event is named {name!r} (named events: {listed})"

    def condition(self, condition: dict[str, Any], path: Path) -> None:
        if not condition.get("converged") and "height" not in condition:
            self.add(path, "a condition needs `converged: true` or a `height`")
        self.members(condition.get("nodes", []), (*path, "nodes"))

    def action(self, event: dict[str, Any], path: Path, joined: set[str]) -> None:
        for key in _NODE_ACTIONS:
            if key in event and self.node(event[key], (*path, key)) and key == "join":
                if self.starts(event[key]):
                    self.add(
                        (*path, key),
                        f"node {event[key]!r} already starts with the run; "
                        "declare it with `starts: false` to join it later",
                    )
                elif event[key] in joined:
                    self.add((*path, key), f"node {event[key]!r} already joins above")
                joined.add(event[key])
        if "partition" in event:
            self.partition(event["partition"], (*path, "partition"))
        if "link" in event:
            self.members(event["link"].get("nodes", []), (*path, "link", "nodes"))
        if "slow" in event:
            self.node(event["slow"]["node"], (*path, "slow", "node"))
        if "attack" in event:
            for verb, name in event["attack"].items():
                if name not in self.roster.attackers:
                    known = ", ".join(self.roster.attackers) or "none"
                    self.add(
                        (*path, "attack", verb), f"no attacker named {name!r} (attackers: {known})"
                    )
        if "chaos" in event:
            chaos = event["chaos"]
            self.members(chaos.get("nodes", []), (*path, "chaos", "nodes"))
            if "loss" in chaos:
                low, high = (units.fraction(v) for v in chaos["loss"])
                if low > high:
                    self.add((*path, "chaos", "loss"), "the loss range is [low, high]; low > high")
            if "partition_length" in chaos:
                short, long = (units.seconds(v) for v in chaos["partition_length"])
                if short > long:
                    self.add(
                        (*path, "chaos", "partition_length"),
                        "the length range is [shortest, longest]; shortest > longest",
                    )

    def partition(self, value: Any, path: Path) -> None:
        if isinstance(value, dict) and "node" in value:
            self.node(value["node"], (*path, "node"))
            if value.get("shape") not in ("isolate", "bridge"):
                self.add((*path, "node"), "`node` goes with shape isolate or bridge")
        groups = (
            value
            if isinstance(value, list)
            else value.get("groups")
            if isinstance(value, dict)
            else None
        )
        if groups is None:
            return
        where: Path = path if isinstance(value, list) else (*path, "groups")
        seen: dict[str, int] = {}
        for i, group in enumerate(groups):
            for node in sorted(self.members(group, (*where, i))):
                if node in seen and seen[node] != i:
                    self.add(
                        (*where, i),
                        f"partition groups overlap: {node!r} is in group {seen[node] + 1} "
                        f"and group {i + 1}",
                    )
                seen.setdefault(node, i)

    def attackers(self) -> None:
        for i, attacker in enumerate(self.data.get("attackers", [])):
            victim = attacker.get("victim")
            path: Path = ("attackers", i, "victim")
            if victim is None or not self.node(victim, path):
                continue
            entry = self.roster.entry(victim)
            if entry is not None and entry.role is Role.ATTACKER:
                self.add(path, f"the victim {victim!r} is an attacker; name an honest node")

    def assertions(self, events: dict[str, int]) -> None:
        seen_names: dict[str, int] = {}
        for i, item in enumerate(self.data.get("assertions", [])):
            kind, params = next(iter(item.items()))
            path: Path = ("assertions", i, kind)
            if "after" in params and params["after"] not in events:
                self.add((*path, "after"), self.unknown_event(params["after"]))
            if "node" in params:
                self.node(params["node"], (*path, "node"))
            if "nodes" in params:
                self.members(params["nodes"], (*path, "nodes"))
            self.attack_params(params, path)
            if "name" in params:
                if params["name"] in seen_names:
                    self.add((*path, "name"), f"duplicate assertion name {params['name']!r}")
                seen_names.setdefault(params["name"], i)

    def attack_params(self, params: dict[str, Any], path: Path) -> None:
        """Attackers named by an attack assertion exist; a victim is honest; `fair` has a hashrate."""
        named = params.get("attackers", [])
        for key, names in (("attacker", [params.get("attacker")]), ("attackers", named)):
            for name in [names] if isinstance(names, str) else names:
                if name is not None and name not in self.roster.attackers:
                    known = ", ".join(self.roster.attackers) or "none"
                    self.add((*path, key), f"no attacker named {name!r} (attackers: {known})")
        if "victim" in params and self.node(params["victim"], (*path, "victim")):
            entry = self.roster.entry(params["victim"])
            if entry is not None and entry.role is Role.ATTACKER:
                self.add((*path, "victim"), f"the victim {params['victim']!r} is an attacker")
        attacker = self.roster.entry(str(params.get("attacker")))
        for key in ("min", "max"):
            if "fair" in str(params.get(key, "")) and attacker is not None and not attacker.share:
                self.add((*path, key), f"`fair` needs a hashrate: {attacker.name!r} has none")


def semantic_problems(data: dict[str, Any]) -> list[Problem]:
    """Every cross-field problem of schema-valid scenario data, as (path, message)."""
    return _Checker(data).run()
