"""The typed, immutable scenario: what the YAML says, with units parsed and names checked.

The loader turns a YAML file into a `Scenario`; `chaosnet.plan` turns a Scenario and a seed into a
resolved plan (topology edges, partition shapes, chaos schedule). Durations are seconds (float),
rates and shares are fractions in [0, 1], sizes and bandwidths are bytes (per second).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Role(StrEnum):
    HONEST = "honest"  # relays and validates, does not mine
    MINER = "miner"  # honest and mines with its hashrate share
    ATTACKER = "attacker"  # runs a byzantine persona (see Attacker)
    LIGHT = "light"  # light client: headers and SPV proofs only, never mines


class TopologyKind(StrEnum):
    FULL_MESH = "full-mesh"
    RING = "ring"
    RANDOM = "random"
    EXPLICIT = "explicit"


class MiningMode(StrEnum):
    REAL = "real"
    SIMULATED = "simulated"


class LoadPattern(StrEnum):
    CONSTANT = "constant"
    BURST = "burst"
    RAMP = "ramp"


class PartitionShape(StrEnum):
    HALVES = "halves"  # first half of the nodes | second half
    BRIDGE = "bridge"  # two halves that both still reach one bridge node
    RING = "ring"  # each node reaches only its two ring neighbours
    ISOLATE = "isolate"  # one node alone | everybody else


class AssertionMode(StrEnum):
    END = "end"  # evaluated once, from the whole run
    ALWAYS = "always"  # an invariant checked at every observation


@dataclass(frozen=True)
class NodeDef:
    name: str
    role: Role = Role.MINER
    hashrate: float = 0.0  # share of the network's hashrate; 0 for non-miners
    group: str | None = None
    prune: int | None = None  # keep only the last N block bodies
    starts: bool = True  # False for a node that only starts with a `join` event
    max_peers: int | None = None  # peer slots; None: the node's default
    eclipse_defence: bool = True  # False: topology neighbours get no reserved slot


@dataclass(frozen=True)
class Topology:
    kind: TopologyKind = TopologyKind.FULL_MESH
    degree: int = 3  # for RANDOM
    links: tuple[tuple[str, str], ...] = ()  # for EXPLICIT, undirected pairs


@dataclass(frozen=True)
class ChainSettings:
    difficulty: int = 12  # leading zero bits of SHA-256
    block_interval: float = 2.0
    mining: MiningMode = MiningMode.SIMULATED
    reward: int = 50


@dataclass(frozen=True)
class LinkSettings:
    """A link's shape; None means 'inherit from the level above' (defaults → group → link)."""

    latency: float | None = None
    jitter: float | None = None
    loss: float | None = None
    bandwidth: float | None = None  # bytes per second


@dataclass(frozen=True)
class LinkOverride:
    """Settings for every directed link from a node in `sources` to a node in `targets`."""

    sources: tuple[str, ...]
    targets: tuple[str, ...]
    settings: LinkSettings


@dataclass(frozen=True)
class Load:
    tps: float
    start: float = 0.0
    duration: float | None = None  # None: until the end of the run
    accounts: int = 50
    pattern: LoadPattern = LoadPattern.CONSTANT
    targets: tuple[str, ...] = ()  # empty: spread over every honest node


# ---- triggers: when an event fires -------------------------------------------------------------


@dataclass(frozen=True)
class At:
    seconds: float


@dataclass(frozen=True)
class After:
    event: str  # name of an earlier event
    delay: float = 0.0


@dataclass(frozen=True)
class Condition:
    """`converged: True` (all running honest nodes on one tip) and/or a minimum height."""

    converged: bool = False
    height: int | None = None
    nodes: tuple[str, ...] = ()  # empty: every running honest node


@dataclass(frozen=True)
class When:
    condition: Condition
    timeout: float


Trigger = At | After | When


# ---- actions: what an event does ---------------------------------------------------------------


@dataclass(frozen=True)
class Partition:
    groups: tuple[
        tuple[str, ...], ...
    ] = ()  # explicit groups; nodes not listed form one more group
    shape: PartitionShape | None = None
    node: str | None = None  # for ISOLATE and BRIDGE (the bridge node)


@dataclass(frozen=True)
class Heal:
    """Remove every partition (the YAML says `heal: all`)."""


@dataclass(frozen=True)
class LinkChange:
    nodes: tuple[str, ...]  # every link touching these nodes; empty means all links
    settings: LinkSettings
    reset: bool = False  # back to the scenario's link settings


@dataclass(frozen=True)
class Crash:
    node: str
    restart_after: float | None = None


@dataclass(frozen=True)
class Restart:
    node: str


@dataclass(frozen=True)
class Pause:
    """A stopped (SIGSTOP) node for `duration`, or a slow node when `slow` is set."""

    node: str
    duration: float | None = None
    slow: LinkSettings | None = None  # slow node: this latency/bandwidth on all its links
    cpu: float | None = None  # slow node (docker): fraction of one CPU


@dataclass(frozen=True)
class Join:
    node: str  # a node declared with `starts: false`


@dataclass(frozen=True)
class Leave:
    node: str


@dataclass(frozen=True)
class AttackStart:
    attacker: str


@dataclass(frozen=True)
class AttackStop:
    attacker: str


@dataclass(frozen=True)
class Chaos:
    """Random faults from the seed: crashes (each restarted after `restart_after`), partitions
    (each healed after a length drawn from `partition_length`) and lossy links."""

    duration: float
    crash_rate: float = 0.0  # crashes per second across the network
    max_down: float = 0.3  # at most this share of nodes down at once
    restart_after: float = 5.0
    loss: tuple[float, float] | None = None  # each link's loss drawn from this range
    partition_rate: float = 0.0  # partitions per second, one at a time
    partition_length: tuple[float, float] = (5.0, 15.0)  # each partition's length drawn from this
    nodes: tuple[str, ...] = ()  # empty: every honest node


@dataclass(frozen=True)
class Wait:
    """Only a trigger: the timeline waits here (`until: converged`) before later events."""


Action = (
    Partition
    | Heal
    | LinkChange
    | Crash
    | Restart
    | Pause
    | Join
    | Leave
    | AttackStart
    | AttackStop
    | Chaos
    | Wait
)


@dataclass(frozen=True)
class Event:
    trigger: Trigger
    action: Action
    name: str | None = None
    line: int = 0  # where it was written, for messages


# ---- attackers and assertions ------------------------------------------------------------------


@dataclass(frozen=True)
class Attacker:
    """A byzantine node: `persona` names a reference_node behaviour; `params` are its arguments."""

    name: str
    persona: str
    hashrate: float = 0.0
    victim: str | None = None
    confirmations: int | None = None
    identities: int | None = None
    params: tuple[tuple[str, str], ...] = ()
    active_from_start: bool = True


ParamValue = float | int | str | bool | None


@dataclass(frozen=True)
class Assertion:
    """One check. `kind` names it (converge, tps, propagation, …); `params` holds its bounds.

    Bounds are already in base units (seconds, fractions, bytes). `name` is how reports show it.
    Params by kind (absent when not written, except the defaults shown):
    converge: within, after (event name) · tps: min · txs_confirmed: min (a share) · propagation: coverage (0.9), percentile (90),
    max · sync_time: node, max · max_reorg_depth: max · no_invalid_blocks: none ·
    double_spend: confirmations · attacker_share: attacker, min, max (a share, or `fair`/`1.2x fair`
    as written) · double_spend_success: attacker, min, max · attacker_reorg_depth: min, max · eclipsed: victim, min_share (1.0),
    during · victim_lag: victim, min, max · honest_peer: victim · banned: attackers (names joined by `,`), within · expect_rate: metric, attacker, expected (a share
    as written, or `theory`), trials (1), confidence (0.95) · memory: max (bytes) ·
    survives_failures: fraction · height: min. `nodes` limits a check to some nodes (height).
    """

    kind: str
    name: str
    params: tuple[tuple[str, ParamValue], ...] = ()
    mode: AssertionMode = AssertionMode.END
    line: int = 0
    nodes: tuple[str, ...] = ()  # empty: every running honest node

    def param(self, key: str, default: ParamValue = None) -> ParamValue:
        return dict(self.params).get(key, default)


@dataclass(frozen=True)
class Scenario:
    name: str
    duration: float
    nodes: tuple[NodeDef, ...]
    source: Path | None = None
    description: str = ""
    seed: int = 0
    api_version: str = "chaosnet/v1"
    topology: Topology = field(default_factory=Topology)
    bootstrap: tuple[str, ...] = ()
    chain: ChainSettings = field(default_factory=ChainSettings)
    links: LinkSettings = field(default_factory=LinkSettings)
    link_overrides: tuple[LinkOverride, ...] = ()
    load: Load | None = None
    timeline: tuple[Event, ...] = ()
    attackers: tuple[Attacker, ...] = ()
    assertions: tuple[Assertion, ...] = ()

    def node(self, name: str) -> NodeDef:
        for n in self.nodes:
            if n.name == name:
                return n
        raise KeyError(name)

    @property
    def node_names(self) -> tuple[str, ...]:
        return tuple(n.name for n in self.nodes)
