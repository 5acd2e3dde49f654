"""Scenario + seed → Plan: every random choice of a run made up front, so a run can be repeated.

The plan fixes the topology (random graphs drawn from the seed), turns partition shapes into the
exact links to cut, expands random chaos into concrete crashes and link changes, and gives every
event an id that relative triggers (`after:`) refer to. The same scenario text and seed always give
the same plan; `replay.json` stores it and `--replay` checks that it resolves identically.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import asdict, dataclass, field, is_dataclass, replace
from enum import Enum
from typing import Any

from chaosnet.scenario.model import (
    Action,
    After,
    At,
    Attacker,
    Chaos,
    Crash,
    Heal,
    LinkSettings,
    NodeDef,
    Partition,
    PartitionShape,
    Pause,
    Role,
    Scenario,
    TopologyKind,
    Trigger,
)
from chaosnet.specs import ChainSpec, LinkFault, NodeSpec

Pair = tuple[str, str]


@dataclass(frozen=True)
class CutLinks:
    """A partition, resolved: both directions of every listed pair are cut."""

    pairs: tuple[Pair, ...]
    label: str


@dataclass(frozen=True)
class SetLinks:
    """Per-directed-link settings (chaos draws a loss for each link); `None` restores defaults."""

    links: tuple[tuple[Pair, LinkSettings | None], ...]


@dataclass(frozen=True)
class Resume:
    """The end of a pause (SIGCONT); planned by the runner when a pause has a duration."""

    node: str


PlannedAction = Action | CutLinks | SetLinks | Resume


@dataclass(frozen=True)
class PlannedEvent:
    id: str  # the event's name, or "#<index>" when unnamed
    trigger: Trigger
    action: PlannedAction
    origin: str = "timeline"  # "timeline" or the id of the chaos event that drew it

    def describe(self) -> str:
        return describe_action(self.action)


@dataclass(frozen=True)
class Plan:
    scenario: Scenario
    seed: int
    chain: ChainSpec
    nodes: tuple[NodeSpec, ...]
    edges: tuple[Pair, ...]  # undirected topology edges, each sorted
    events: tuple[PlannedEvent, ...]
    starting: tuple[str, ...]  # nodes started before t=0
    honest: tuple[str, ...]  # nodes whose agreement the assertions are about
    link_defaults: dict[Pair, LinkFault] = field(default_factory=dict)

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)

    def schedule_digest(self) -> str:
        """A fingerprint of everything random in the plan: equal digests, equal fault schedules."""
        blob = json.dumps(self.schedule_json(), sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    def schedule_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "edges": [list(e) for e in self.edges],
            "events": [
                {
                    "id": e.id,
                    "origin": e.origin,
                    "trigger": _jsonable(e.trigger),
                    "action": _jsonable(e.action),
                }
                for e in self.events
            ],
        }


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__, **_jsonable(asdict(value))}
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def describe_action(action: PlannedAction) -> str:
    """A one-line human description, used by progress displays and the journal."""
    match action:
        case CutLinks(pairs=pairs, label=label):
            return f"partition {label} ({len(pairs)} links cut)"
        case SetLinks(links=links):
            return f"link changes on {len(links)} links"
        case Heal():
            return "heal all partitions"
        case Crash(node=node, restart_after=after):
            return f"crash {node}" + (f", restart after {after:g}s" if after else "")
        case Pause(slow=slow, cpu=cpu) if slow or cpu:
            return f"slow {_arguments(action)}"  # not stopped: its links (or its CPU) slowed
        case _:
            return f"{type(action).__name__.lower()} {_arguments(action)}".strip()


def _arguments(action: PlannedAction) -> str:
    """`key=value, …` of the fields that are set; a nested setting (a slow node's links) by its
    own keys, as the scenario wrote them."""
    fields: dict[str, Any] = {}
    for key, value in _jsonable(action).items():
        if isinstance(value, dict):
            fields.update((k, v) for k, v in value.items() if k != "type")
        elif key != "type":
            fields[key] = value
    return ", ".join(f"{k}={v}" for k, v in fields.items() if v)


def describe_trigger(trigger: Trigger) -> str:
    """When an event fires, in words: `at 10s`, `split + 25s`, `when converged (timeout 20s)`."""
    if isinstance(trigger, At):
        return f"at {trigger.seconds:g}s"
    if isinstance(trigger, After):
        return f"{trigger.event} + {trigger.delay:g}s"
    c = trigger.condition
    what = " and ".join(
        part
        for part in (
            "converged" if c.converged else "",
            f"height >= {c.height}" if c.height else "",
        )
        if part
    )
    return f"when {what} (timeout {trigger.timeout:g}s)"


# ---- topology ----------------------------------------------------------------------------------


def resolve_edges(scenario: Scenario, rng: random.Random) -> tuple[Pair, ...]:
    names = list(scenario.node_names)
    topo = scenario.topology
    edges: set[Pair] = set()
    if topo.kind is TopologyKind.FULL_MESH:
        edges = {_pair(a, b) for i, a in enumerate(names) for b in names[i + 1 :]}
    elif topo.kind is TopologyKind.RING:
        edges = {_pair(a, names[(i + 1) % len(names)]) for i, a in enumerate(names)}
    elif topo.kind is TopologyKind.EXPLICIT:
        edges = {_pair(a, b) for a, b in topo.links}
    else:  # random of degree k: a shuffled ring keeps it connected, then random chords
        order = names[:]
        rng.shuffle(order)
        edges = {_pair(a, order[(i + 1) % len(order)]) for i, a in enumerate(order)}
        degree = {n: 0 for n in names}
        for a, b in edges:
            degree[a] += 1
            degree[b] += 1
        target = min(topo.degree, len(names) - 1)
        for a in order:
            candidates = [b for b in names if b != a and _pair(a, b) not in edges]
            rng.shuffle(candidates)
            for b in candidates:
                if degree[a] >= target:
                    break
                if degree[b] < target:
                    edges.add(_pair(a, b))
                    degree[a] += 1
                    degree[b] += 1
    return tuple(sorted(e for e in edges if e[0] != e[1]))


def _pair(a: str, b: str) -> Pair:
    return (a, b) if a <= b else (b, a)


# ---- partitions --------------------------------------------------------------------------------


def resolve_partition(partition: Partition, names: list[str], edges: tuple[Pair, ...]) -> CutLinks:
    """Which undirected links a partition cuts (all pairs, not only topology edges: discovery)."""
    all_pairs = [_pair(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    if partition.shape is None:
        groups = [set(g) for g in partition.groups]
        rest = set(names).difference(*groups)
        if rest:
            groups.append(rest)
        side = {n: i for i, g in enumerate(groups) for n in g}
        cut = [p for p in all_pairs if side.get(p[0]) != side.get(p[1])]
        label = " | ".join(",".join(sorted(g)) for g in groups)
        return CutLinks(tuple(cut), label)
    half = (len(names) + 1) // 2
    if partition.shape is PartitionShape.HALVES:
        left = set(names[:half])
        cut = [p for p in all_pairs if (p[0] in left) != (p[1] in left)]
        return CutLinks(tuple(cut), "halves")
    if partition.shape is PartitionShape.ISOLATE:
        node = partition.node or names[-1]
        return CutLinks(tuple(p for p in all_pairs if node in p), f"isolate {node}")
    if partition.shape is PartitionShape.BRIDGE:
        bridge = partition.node or names[half - 1]
        others = [n for n in names if n != bridge]
        left = set(others[: len(others) // 2])
        cut = [p for p in all_pairs if bridge not in p and (p[0] in left) != (p[1] in left)]
        return CutLinks(tuple(cut), f"bridge via {bridge}")
    # ring: each node keeps only its two ring neighbours
    ring = {_pair(a, names[(i + 1) % len(names)]) for i, a in enumerate(names)}
    return CutLinks(tuple(p for p in all_pairs if p not in ring), "ring")


# ---- chaos -------------------------------------------------------------------------------------


def expand_chaos(
    chaos_id: str,
    chaos: Chaos,
    candidates: list[str],
    names: list[str],
    edges: tuple[Pair, ...],
    rng: random.Random,
) -> list[PlannedEvent]:
    """Draw link losses, crashes (a Poisson process, never more than `max_down` down at once) and
    partitions, in that order (a scenario without partitions draws the plan it always drew).

    Times are offsets after the chaos event itself, so chaos triggered by a condition still
    expands deterministically.
    """
    events: list[PlannedEvent] = []
    if chaos.loss is not None:
        low, high = chaos.loss
        links: list[tuple[Pair, LinkSettings | None]] = []
        for a, b in edges:
            for src, dst in ((a, b), (b, a)):
                links.append(((src, dst), LinkSettings(loss=round(rng.uniform(low, high), 4))))
        events.append(
            PlannedEvent(f"{chaos_id}.loss", After(chaos_id, 0.0), SetLinks(tuple(links)), chaos_id)
        )
        restore = tuple((pair, None) for pair, _ in links)
        events.append(
            PlannedEvent(
                f"{chaos_id}.loss-end", After(chaos_id, chaos.duration), SetLinks(restore), chaos_id
            )
        )
    if chaos.crash_rate > 0 and candidates:
        limit = max(1, int(chaos.max_down * len(candidates) + 1e-9))
        down_until: dict[str, float] = {}
        t = 0.0
        count = 0
        while True:
            t += rng.expovariate(chaos.crash_rate)
            if t >= chaos.duration:
                break
            up = [n for n in candidates if down_until.get(n, -1.0) <= t]
            if len(candidates) - len(up) >= limit or not up:
                continue
            node = rng.choice(up)
            restart = min(chaos.restart_after, max(0.0, chaos.duration - t))
            down_until[node] = t + restart
            count += 1
            events.append(
                PlannedEvent(
                    f"{chaos_id}.crash{count}",
                    After(chaos_id, round(t, 3)),
                    Crash(node, restart_after=round(restart, 3)),
                    chaos_id,
                )
            )
    if chaos.partition_rate > 0 and len(candidates) > 1:
        events.extend(_random_partitions(chaos_id, chaos, candidates, names, edges, rng))
    return events


def _random_partitions(
    chaos_id: str,
    chaos: Chaos,
    candidates: list[str],
    names: list[str],
    edges: tuple[Pair, ...],
    rng: random.Random,
) -> list[PlannedEvent]:
    """One partition at a time: each splits `candidates` into two random non-empty sides (other
    nodes join the second) and is healed, with every other partition, after a length drawn
    from `partition_length`."""
    events: list[PlannedEvent] = []
    t = 0.0
    while True:
        t += rng.expovariate(chaos.partition_rate)
        if t >= chaos.duration:
            return events
        length = min(rng.uniform(*chaos.partition_length), chaos.duration - t)
        order = candidates[:]
        rng.shuffle(order)
        side = tuple(sorted(order[: rng.randint(1, len(order) - 1)]))
        cut = resolve_partition(Partition(groups=(side,)), names, edges)
        k = len(events) // 2 + 1
        events.append(
            PlannedEvent(f"{chaos_id}.partition{k}", After(chaos_id, round(t, 3)), cut, chaos_id)
        )
        t += length
        events.append(
            PlannedEvent(f"{chaos_id}.heal{k}", After(chaos_id, round(t, 3)), Heal(), chaos_id)
        )


# ---- the whole plan ----------------------------------------------------------------------------


def resolve(scenario: Scenario, seed: int | None = None) -> Plan:
    """Resolve a scenario into a plan; `seed` overrides the scenario's own."""
    seed = scenario.seed if seed is None else seed
    rng = random.Random(seed)  # drawn from in this order: topology, then each chaos event
    edges = resolve_edges(scenario, rng)
    honest = tuple(n.name for n in scenario.nodes if n.role is not Role.ATTACKER)
    return Plan(
        scenario=scenario,
        seed=seed,
        chain=_chain_spec(scenario, seed),
        nodes=_node_specs(scenario, edges),
        edges=edges,
        events=_planned_events(scenario, edges, honest, rng),
        starting=tuple(n.name for n in scenario.nodes if n.starts),
        honest=honest,
        link_defaults=_link_defaults(scenario),
    )


def _node_specs(scenario: Scenario, edges: tuple[Pair, ...]) -> tuple[NodeSpec, ...]:
    """Each node as a backend starts it: its neighbours, whether it mines, its persona (dormant
    until its attack starts), its node flags."""
    attackers = {a.name: a for a in scenario.attackers}
    neighbours: dict[str, list[str]] = {n: [] for n in scenario.node_names}
    for a, b in edges:
        neighbours[a].append(b)
        neighbours[b].append(a)
    specs = []
    for node in scenario.nodes:
        attacker = attackers.get(node.name)
        specs.append(
            NodeSpec(
                name=node.name,
                neighbours=tuple(sorted(neighbours[node.name])),
                mine=node.role in (Role.MINER, Role.ATTACKER) and node.hashrate > 0,
                hashrate=node.hashrate,
                persona=attacker.persona if attacker else None,
                persona_args=_persona_args(attacker) if attacker else (),
                prune=node.prune,
                extra_args=_node_flags(node, attacker),
            )
        )
    return tuple(specs)


def _node_flags(node: NodeDef, attacker: Attacker | None) -> tuple[str, ...]:
    """The node's own settings; an attacker waiting for its `attack: start` runs from the start,
    honest until then."""
    flags = []
    if node.max_peers is not None:
        flags.append(f"--max-peers={node.max_peers}")
    if not node.eclipse_defence:
        flags.append("--eclipse-defence=off")
    if attacker and not attacker.active_from_start:
        flags.append("--persona-dormant")
    return tuple(flags)


def _persona_args(attacker: Attacker) -> tuple[tuple[str, str], ...]:
    if (
        attacker.persona == "honest"
    ):  # a control run: the attack's settings have no one to read them
        return ()
    args: list[tuple[str, str]] = []
    for key in ("victim", "confirmations", "identities"):
        value = getattr(attacker, key)
        if value is not None:
            args.append((key, str(value)))
    args.extend(attacker.params)
    return tuple(args)


def _chain_spec(scenario: Scenario, seed: int) -> ChainSpec:
    return ChainSpec(
        difficulty=scenario.chain.difficulty,
        block_interval=scenario.chain.block_interval,
        mining=scenario.chain.mining.value,
        reward=scenario.chain.reward,
        genesis_accounts=max(100, scenario.load.accounts if scenario.load else 0),
        seed=seed,
    )


def _link_defaults(scenario: Scenario) -> dict[Pair, LinkFault]:
    """Every directed link's settings before any fault: the scenario's, then its overrides."""
    default = to_fault(scenario.links)
    names = scenario.node_names
    link_defaults: dict[Pair, LinkFault] = {}
    for a in names:
        for b in names:
            if a == b:
                continue
            settings = scenario.links
            for override in scenario.link_overrides:
                if a in override.sources and b in override.targets:
                    settings = merge_links(settings, override.settings)
            link_defaults[(a, b)] = to_fault(settings) if settings != scenario.links else default
    return link_defaults


def _planned_events(
    scenario: Scenario, edges: tuple[Pair, ...], honest: tuple[str, ...], rng: random.Random
) -> tuple[PlannedEvent, ...]:
    """The timeline with ids, partitions resolved to links, and chaos expanded right after it."""
    names = list(scenario.node_names)
    events: list[PlannedEvent] = []
    for index, event in enumerate(scenario.timeline):
        event_id = event.name or f"#{index}"
        action: PlannedAction = event.action
        if isinstance(action, Partition):
            action = resolve_partition(action, names, edges)
        events.append(PlannedEvent(event_id, event.trigger, action))
        if isinstance(event.action, Chaos):
            candidates = list(event.action.nodes) or [n for n in honest if scenario.node(n).starts]
            events.extend(expand_chaos(event_id, event.action, candidates, names, edges, rng))
    return tuple(events)


def merge_links(base: LinkSettings, top: LinkSettings) -> LinkSettings:
    """`top`'s set fields over `base`'s."""
    return replace(
        base,
        **{k: v for k, v in asdict(top).items() if v is not None},
    )


def to_fault(settings: LinkSettings) -> LinkFault:
    return LinkFault(
        latency_ms=(settings.latency or 0.0) * 1000,
        jitter_ms=(settings.jitter or 0.0) * 1000,
        loss=settings.loss or 0.0,
        bandwidth_kbps=settings.bandwidth / 1024 if settings.bandwidth else None,
    )
