"""Who is in the network: counted, listed and attacker nodes merged into one ordered roster.

Both the semantic checks and the model builder need the same answer to "which nodes exist, with
which role and hashrate", so it is computed once here from schema-valid data. Hashrate rule: shares
of miners and attackers may add up to at most 100%; miners without a share split what is left
evenly; when every miner's share is given, the shares must add up to exactly 100%.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chaosnet.scenario import units
from chaosnet.scenario.model import Role
from chaosnet.scenario.yamlsource import Path

Problem = tuple[Path, str]
_EPSILON = 1e-9


@dataclass
class Entry:
    name: str
    role: Role
    share: float | None  # hashrate as written; None when not given
    prune: int | None
    starts: bool
    path: Path  # where the node is declared, for messages
    max_peers: int | None = None
    eclipse_defence: bool = True


@dataclass
class Roster:
    entries: list[Entry] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    attackers: dict[str, dict[str, Any]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [e.name for e in self.entries]

    def entry(self, name: str) -> Entry | None:
        return next((e for e in self.entries if e.name == name), None)

    def group_of(self, name: str) -> str | None:
        return next((g for g, members in self.groups.items() if name in members), None)


def build_roster(data: dict[str, Any]) -> Roster:
    roster = Roster()
    nodes: dict[str, Any] = data["nodes"]
    count = int(nodes.get("count", 0))
    miners = int(nodes.get("miners", count))
    if "miners" in nodes and miners > count:
        roster.problems.append(
            (("nodes", "miners"), f"{miners} miners but only {count} counted nodes (`count`)")
        )
    for i in range(1, count + 1):
        role = Role.MINER if i <= miners else Role.HONEST
        roster.entries.append(Entry(f"n{i}", role, None, None, True, ("nodes", "count")))
    for index, item in enumerate(nodes.get("list", [])):
        path: Path = ("nodes", "list", index, "name")
        existing = roster.entry(item["name"])
        if existing is not None and existing.path[:2] == ("nodes", "list"):
            roster.problems.append((path, f"duplicate node name {item['name']!r}"))
            continue
        share = units.fraction(item["hashrate"]) if "hashrate" in item else None
        entry = Entry(
            item["name"],
            Role(item.get("role", existing.role.value if existing else "miner")),
            share,
            item.get("prune"),
            item.get("starts", True),
            path,
            item.get("max_peers"),
            item.get("eclipse_defence", True),
        )
        if existing is not None:
            roster.entries[roster.entries.index(existing)] = entry
        else:
            roster.entries.append(entry)
    for index, item in enumerate(data.get("attackers", [])):
        _add_attacker(roster, index, item)
    for entry in roster.entries:
        if entry.role is Role.ATTACKER and entry.name not in roster.attackers:
            roster.problems.append(
                (
                    entry.path,
                    f"node {entry.name!r} has role attacker but no entry in `attackers`; add "
                    f"`- {{name: {entry.name}, persona: ...}}` there",
                )
            )
    _add_groups(roster, nodes.get("groups", {}))
    return roster


def _add_attacker(roster: Roster, index: int, item: dict[str, Any]) -> None:
    path: Path = ("attackers", index, "name")
    name = item["name"]
    if name in roster.attackers:
        roster.problems.append((path, f"duplicate attacker name {name!r}"))
        return
    roster.attackers[name] = item
    share = units.fraction(item["hashrate"]) if "hashrate" in item else 0.0
    existing = roster.entry(name)
    if existing is None:
        roster.entries.append(Entry(name, Role.ATTACKER, share, None, True, path))
    elif existing.role is not Role.ATTACKER:
        roster.problems.append(
            (
                path,
                f"attacker {name!r} has the name of node {name!r}; rename it, or give that node "
                "`role: attacker` in `nodes.list` to make it the attacker",
            )
        )
    else:
        if existing.share is not None:
            roster.problems.append(
                (existing.path, f"give {name!r} its hashrate in `attackers`, not in `nodes.list`")
            )
        existing.share = share


def _add_groups(roster: Roster, groups: dict[str, list[str]]) -> None:
    names = set(roster.names)
    for group, members in groups.items():
        if group in names:
            roster.problems.append(
                (("nodes", "groups", group), f"group {group!r} has the name of a node; rename it")
            )
            continue
        kept = []
        for i, member in enumerate(members):
            other = roster.group_of(member)
            if member not in names:
                roster.problems.append(
                    (("nodes", "groups", group, i), unknown_node(member, roster.names))
                )
            elif other is not None:
                roster.problems.append(
                    (
                        ("nodes", "groups", group, i),
                        f"{member!r} is already in group {other!r}; a node is in one group at most",
                    )
                )
            else:
                kept.append(member)
        roster.groups[group] = kept


def hashrates(roster: Roster) -> tuple[dict[str, float], list[Problem]]:
    """Every node's share of the hashrate (0 for non-miners), or the problems that prevent it."""
    problems: list[Problem] = []
    shares: dict[str, float] = {}
    unassigned: list[Entry] = []
    for e in roster.entries:
        if e.role in (Role.HONEST, Role.LIGHT) and e.share is not None:
            problems.append(
                (
                    e.path,
                    f"node {e.name!r} is {e.role.value} and cannot have a hashrate; "
                    "make it a miner or drop `hashrate`",
                )
            )
        elif e.role is Role.MINER and e.share is None:
            unassigned.append(e)
        elif e.share is not None:
            shares[e.name] = e.share
    total = sum(shares.values())
    given = ", ".join(f"{n} {units.show_fraction(s)}" for n, s in shares.items())
    if total > 1 + _EPSILON:
        problems.append(
            (
                ("nodes",),
                f"hashrate shares add up to {units.show_fraction(total)} ({given}); "
                "they may add up to at most 100%",
            )
        )
    elif unassigned and total >= 1 - _EPSILON:
        names = ", ".join(e.name for e in unassigned)
        problems.append(
            (
                ("nodes",),
                f"miners {names} get no hashrate: the given shares ({given}) already add up to "
                "100%; lower them, or make those nodes `honest`",
            )
        )
    elif not unassigned and total <= _EPSILON:
        problems.append(
            (
                ("nodes",),
                "no node mines, so no blocks will be made; give some nodes `role: miner` "
                "(the default) or an attacker a `hashrate`",
            )
        )
    elif not unassigned and abs(total - 1) > 1e-6:
        problems.append(
            (
                ("nodes",),
                f"hashrate shares add up to {units.show_fraction(total)} ({given}); when every "
                "miner's share is given they must add up to 100% (or leave one out to get the rest)",
            )
        )
    for e in unassigned:
        shares[e.name] = max(0.0, 1 - total) / len(unassigned)
    return {e.name: shares.get(e.name, 0.0) for e in roster.entries}, problems


def unknown_node(name: str, known: list[str], groups: list[str] | None = None) -> str:
    """`unknown node 'n9' (nodes: n1, n2, …)` — with the names that would be right."""
    shown = ", ".join(known[:12]) + (", …" if len(known) > 12 else "")
    extra = f"; groups: {', '.join(groups)}" if groups else ""
    what = "node or group" if groups is not None else "node"
    return f"unknown {what} {name!r} (nodes: {shown}{extra})"
