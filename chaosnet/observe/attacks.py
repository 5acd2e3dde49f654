"""What each attack achieved, measured on the honest nodes: never on the attacker's word.

Inputs are journal records only (`final_chain`, `block_seen`, `reorg`, `sample`, `node_state`).
An attacker's `persona_stats` name what it attempted (D12: which payments, never whether they
worked); every outcome here is read from honest nodes' chains, peers and counters.
Which records feed which figure, and the closed form each is compared with: docs/attacks.md.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import Any

from chaosnet.observe.metrics import Record, up_intervals
from chaosnet.scenario.model import Attacker, Scenario

PAYMENT_PERSONAS = ("double-spend",)
INVALID_DATA_PERSONAS = ("invalid-blocks", "invalid-txs")
SLOT_PERSONAS = ("sybil",)
ECLIPSE_PERSONAS = ("eclipse",)
PERSONA_CONFIRMATIONS = 6  # the double-spend persona's defaults, docs/node.md
PERSONA_GIVE_UP = 10


def owner_of(node_id: str) -> str:
    """The node behind a peer id: a sybil or eclipse identity `eve~3` belongs to `eve`."""
    return node_id.split("~", 1)[0]


@dataclass(frozen=True)
class Revenue:
    """An attacker's share of the final honest chain beside its share of the hashrate."""

    blocks: int
    chain_blocks: int
    share: float | None
    fair_share: float


@dataclass(frozen=True)
class TieRaces:
    """Eyal and Sirer's gamma: of the tie races at which an honest miner found the next block, the share
    where that block extended the attacker's side (the final chain keeps both)."""

    races: int
    honest_on_attacker: int
    gamma: float | None


@dataclass(frozen=True)
class DoubleSpends:
    """Payments the attacker announced, followed on honest nodes: `confirmed` reached the
    scenario's `confirmations` on some honest node; `succeeded` of those then left the final
    chain while the conflicting transfer is in it."""

    confirmations: int
    attempts: int
    confirmed: int
    succeeded: int
    deepest_confirmation: int
    unresolved: int
    give_up: int
    success_rate: float | None


@dataclass(frozen=True)
class Eclipse:
    """The victim over the attack window: the attacker's share of its peers, how far its tip fell
    behind the best honest height, and blocks it mined that did not make the final chain."""

    victim: str
    window_s: float
    samples: int
    attacker_peer_share_mean: float | None
    attacker_peer_share_max: float | None
    height_lag_max: int | None
    height_lag_mean: float | None
    wasted_blocks: int
    height_lag_last: int | None  # at the victim's last sample in the window
    honest_peers_last: int | None


@dataclass(frozen=True)
class Bans:
    """Per honest node: invalid messages counted during the attack; for each node that counted
    any, seconds from the first until the attacker's peers left for good (None: never did)."""

    invalid_messages: dict[str, int]
    ban_after_s: dict[str, float | None]


@dataclass
class AttackMetrics:
    revenue: dict[str, Revenue] = field(default_factory=dict)
    tie_races: dict[str, TieRaces] = field(default_factory=dict)
    double_spends: dict[str, DoubleSpends] = field(default_factory=dict)
    deepest_reorg: int = 0
    deepest_attacker_reorg: int | None = None  # None: honest reorgs, none traceable
    eclipses: dict[str, Eclipse] = field(default_factory=dict)
    peer_slots: dict[str, dict[str, float]] = field(default_factory=dict)  # attacker → node → share
    bans: dict[str, Bans] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "revenue": {k: asdict(v) for k, v in self.revenue.items()},
            "tie_races": {k: asdict(v) for k, v in self.tie_races.items()},
            "double_spends": {k: asdict(v) for k, v in self.double_spends.items()},
            "reorgs": {
                "deepest": self.deepest_reorg,
                "deepest_by_attacker": self.deepest_attacker_reorg,
            },
            "eclipses": {k: asdict(v) for k, v in self.eclipses.items()},
            "peer_slots": self.peer_slots,
            "bans": {k: asdict(v) for k, v in self.bans.items()},
        }


@dataclass(frozen=True)
class Chain:
    """The final honest chain by height (1-based) with each block's miner as a node name."""

    hashes: list[str]
    miners: list[str]
    txids: set[str]

    @classmethod
    def of(cls, records: list[Record], miner_names: dict[str, str]) -> Chain:
        final = [r for r in records if r["kind"] == "final_chain"]
        blocks = final[-1]["blocks"] if final else []
        return cls(
            hashes=[b["hash"] for b in blocks],
            miners=[_named(miner_names, b["miner"]) for b in blocks],
            txids={t for b in blocks for t in b["txids"]},
        )

    def miner_at(self, height: int) -> str | None:
        return self.miners[height - 1] if 1 <= height <= len(self.miners) else None


def revenue(chain: Chain, attacker: str, fair_share: float) -> Revenue:
    mined = chain.miners.count(attacker)
    total = len(chain.miners)
    share = round(mined / total, 4) if total else None
    return Revenue(mined, total, share, round(fair_share, 4))


def tie_races(
    records: list[Record], chain: Chain, attacker: str, honest: list[str], names: dict[str, str]
) -> TieRaces:
    """Heights where honest nodes saw both an attacker block and an honest one, and the next block
    of the final chain was honest-mined: did it extend the attacker's block?"""
    miners_at: dict[int, set[str]] = defaultdict(set)
    for r in records:
        if r["kind"] == "block_seen" and r["node"] in honest and r.get("miner"):
            miners_at[int(r["height"])].add(_named(names, r["miner"]))
    races = on_attacker = 0
    for height, miners in miners_at.items():
        if attacker not in miners or not miners - {attacker}:
            continue
        following = chain.miner_at(height + 1)
        if following is None or following == attacker:
            continue
        races += 1
        on_attacker += chain.miner_at(height) == attacker
    return TieRaces(races, on_attacker, round(on_attacker / races, 4) if races else None)


def double_spends(
    records: list[Record], chain: Chain, attacker: str, honest: list[str], z: int, give_up: int
) -> DoubleSpends:
    """Each payment (and its conflict) the attacker announced, judged by honest nodes' `/tx`
    answers, their block and reorg events and the final chain. A payment the attacker was still attacking at the
    end is no trial: counted as a failure it would pull the rate down by about one per run."""
    conflict_of: dict[str, str] = {}
    last: dict[str, Any] = {}
    for r in records:
        persona = r.get("persona") if r["kind"] == "sample" and r["node"] == attacker else None
        if isinstance(persona, dict):
            last = persona
            if persona.get("payment"):
                conflict_of[str(persona["payment"])] = str(persona.get("conflict") or "")
    deepest = payment_depths(records, honest, set(conflict_of))
    open_payment = str(last.get("payment") or "") if last.get("open") else ""
    resolved = [t for t in conflict_of if t != open_payment]
    confirmed = [t for t in resolved if deepest.get(t, 0) >= z]
    succeeded = [t for t in confirmed if t not in chain.txids and conflict_of[t] in chain.txids]
    return DoubleSpends(
        confirmations=z,
        attempts=len(conflict_of),
        confirmed=len(confirmed),
        succeeded=len(succeeded),
        deepest_confirmation=max((deepest.get(t, 0) for t in conflict_of), default=0),
        unresolved=len(conflict_of) - len(resolved),
        give_up=give_up,
        success_rate=round(len(succeeded) / len(confirmed), 4) if confirmed else None,
    )


def payment_depths(records: list[Record], honest: list[str], payments: set[str]) -> dict[str, int]:
    """The most confirmations any honest node gave each payment: from its `/tx` answers
    (`payments` in its samples), and from its best chain as its block and reorg events rebuild
    it, since a double spend released the moment the payment reached z confirmations leaves the
    merchant's node there for a link delay, far too briefly for a sample. The events need the
    blocks' `parent` and `txids` (the observer journals txids when a double-spend persona runs)."""
    deepest = _chain_depths(records, honest, payments)
    for r in records:
        if r["kind"] == "sample" and r["node"] in honest:
            for txid, depth in (r.get("payments") or {}).items():
                deepest[txid] = max(deepest.get(txid, 0), int(depth))
    return deepest


def _chain_depths(records: list[Record], honest: list[str], payments: set[str]) -> dict[str, int]:
    parent: dict[str, str | None] = {}
    height: dict[str, int] = {}
    carriers: dict[str, set[str]] = {}  # block hash → the payments in it
    chains: dict[str, dict[int, str]] = {name: {} for name in honest}  # height → hash
    tips: dict[str, int] = {}
    deepest: dict[str, int] = {}
    for r in records:
        kind, node = r["kind"], r.get("node")
        if kind == "block_seen":
            block = r["hash"]
            parent[block], height[block] = r.get("parent"), int(r["height"])
            if carried := payments.intersection(r.get("txids") or ()):
                carriers[block] = carried
        if node not in chains:
            continue
        chain = chains[node]
        if kind == "block_seen":
            tip = tips.get(node)
            if tip is not None and (height[block] != tip + 1 or chain.get(tip) != parent[block]):
                continue  # a side branch: a reorg record follows if the node switched to it
            chain[height[block]], tips[node] = block, height[block]
        elif kind == "reorg" and r.get("new_tip") in height:
            walk: str | None = r["new_tip"]
            tips[node] = top = height[r["new_tip"]]
            for stale in [h for h in chain if h > top]:
                del chain[stale]
            while walk in height and chain.get(height[walk]) != walk:
                chain[height[walk]] = walk
                walk = parent.get(walk)
        else:
            continue
        for block, carried in carriers.items():
            if chain.get(height[block]) == block:
                for txid in carried:
                    deepest[txid] = max(deepest.get(txid, 0), tips[node] - height[block] + 1)
    return deepest


def attacker_reorg_depth(
    records: list[Record],
    chain: Chain,
    attackers: set[str],
    honest: list[str],
    names: dict[str, str],
) -> int | None:
    """The deepest honest reorg whose new branch holds attacker blocks: read from the final chain
    when the new tip is in it, else from the new tip's own miner. 0 without honest reorgs; None
    when there were some but none could be traced."""
    position = {h: i + 1 for i, h in enumerate(chain.hashes)}
    tip_miner = {
        r["hash"]: _named(names, r["miner"])
        for r in records
        if r["kind"] == "block_seen" and r.get("miner")
    }
    reorgs = [r for r in records if r["kind"] == "reorg" and r["node"] in honest]
    deepest: int | None = None if reorgs else 0
    for r in reorgs:
        depth, tip = int(r["depth"]), r.get("new_tip")
        if tip in position:
            top = position[tip]
            branch = set(chain.miners[max(0, top - depth) : top])
        elif tip in tip_miner:
            branch = {tip_miner[tip]}
        else:
            continue
        deepest = max(deepest or 0, depth if branch & attackers else 0)
    return deepest


def double_spend_model(attacker: Attacker) -> tuple[int, int]:
    """The double-spend persona's confirmations and give-up depth, as the closed form takes them."""
    give_up = dict(attacker.params).get("give_up")
    return (
        attacker.confirmations or PERSONA_CONFIRMATIONS,
        int(give_up) if give_up is not None else PERSONA_GIVE_UP,
    )


def window_of(
    records: list[Record], node: str, scenario_end: float, active_from_start: bool = True
) -> list[tuple[float, float]]:
    """When `node` ran, clipped to the scenario's duration: an attacker's attack window. One
    that waits for `attack: start` runs honestly before it: its window opens at the first start."""
    opens = 0.0
    if not active_from_start:
        starts = [
            float(r["t"])
            for r in records
            if r["kind"] == "node_state" and r["node"] == node and r["state"] == "attack started"
        ]
        opens = min(starts, default=math.inf)
    return [
        (max(s, opens), min(e, scenario_end))
        for s, e in up_intervals(records).get(node, [])
        if e > opens and s < scenario_end
    ]


def _named(names: dict[str, str], miner: str) -> str:
    return names.get(miner, miner)


def _inside(t: float, windows: list[tuple[float, float]]) -> bool:
    return any(s <= t < e for s, e in windows)


def _attacker_share(peer_ids: list[str], attacker: str) -> float | None:
    if not peer_ids:
        return None
    return sum(owner_of(p) == attacker for p in peer_ids) / len(peer_ids)


def eclipse(
    records: list[Record],
    chain: Chain,
    attacker: str,
    victim: str,
    honest: list[str],
    windows: list[tuple[float, float]],
) -> Eclipse:
    """The victim's samples inside the attack window, against the best honest height so far."""
    best_height = 0
    shares: list[float] = []
    lags: list[int] = []
    honest_peers_last: int | None = None
    for r in records:
        if r["kind"] != "sample" or r["node"] not in honest:
            continue
        if r["node"] != victim:
            best_height = max(best_height, int(r["height"]))
            continue
        if not _inside(float(r["t"]), windows):
            continue
        lags.append(max(0, best_height - int(r["height"])))
        honest_peers_last = sum(p in honest for p in r.get("peer_ids") or [])
        share = _attacker_share(r.get("peer_ids") or [], attacker)
        if share is not None:
            shares.append(share)
    in_chain = set(chain.hashes)
    wasted = {
        r["hash"]
        for r in records
        if r["kind"] == "block_seen"
        and r["node"] == victim
        and r.get("source") == "mined"
        and _inside(float(r["seen_t"]), windows)
        and r["hash"] not in in_chain
    }
    return Eclipse(
        victim=victim,
        window_s=round(sum(e - s for s, e in windows), 3),
        samples=len(lags),
        attacker_peer_share_mean=round(sum(shares) / len(shares), 4) if shares else None,
        attacker_peer_share_max=round(max(shares), 4) if shares else None,
        height_lag_max=max(lags) if lags else None,
        height_lag_mean=round(sum(lags) / len(lags), 3) if lags else None,
        wasted_blocks=len(wasted),
        height_lag_last=lags[-1] if lags else None,
        honest_peers_last=honest_peers_last,
    )


def peer_slots(
    records: list[Record], attacker: str, honest: list[str], windows: list[tuple[float, float]]
) -> dict[str, float]:
    """Each honest node's mean share of peer slots held by the attacker's identities, over the
    samples taken while the attacker ran."""
    shares: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r["kind"] == "sample" and r["node"] in honest and _inside(float(r["t"]), windows):
            share = _attacker_share(r.get("peer_ids") or [], attacker)
            if share is not None:
                shares[r["node"]].append(share)
    return {node: round(sum(v) / len(v), 4) for node, v in sorted(shares.items())}


def bans(
    records: list[Record], attacker: str, honest: list[str], windows: list[tuple[float, float]]
) -> Bans:
    """Per honest node: the first rise of its invalid-message counter while the attacker ran, and
    the first sample after it from which none of the attacker's ids was ever its peer again."""
    counts: dict[str, list[tuple[float, int, bool]]] = defaultdict(list)
    for r in records:
        if r["kind"] == "sample" and r["node"] in honest and "invalid_messages" in r:
            holds = any(owner_of(p) == attacker for p in r.get("peer_ids") or [])
            counts[r["node"]].append((float(r["t"]), int(r["invalid_messages"]), holds))
    start = min((s for s, _ in windows), default=0.0)
    invalid: dict[str, int] = {}
    ban_after: dict[str, float | None] = {}
    for node, series in counts.items():
        baseline = ([c for t, c, _ in series if t < start] or [0])[-1]
        during = [(t, c, holds) for t, c, holds in series if _inside(t, windows)]
        offences = [t for t, c, _ in during if c > baseline]
        invalid[node] = max((c for _, c, _ in during), default=baseline) - baseline
        if offences:
            ban_after[node] = _cut_off_after(during, offences[0])
    return Bans(invalid, ban_after)


def _cut_off_after(during: list[tuple[float, int, bool]], offence: float) -> float | None:
    last_held = max((t for t, _, holds in during if holds), default=None)
    later = [t for t, _, _ in during if t >= offence and (last_held is None or t > last_held)]
    return round(later[0] - offence, 3) if later else None


def compute_attacks(
    records: list[Record],
    scenario: Scenario,
    honest: list[str],
    miner_names: dict[str, str],
) -> AttackMetrics:
    """Every attack figure the scenario's attackers call for (by persona), from honest evidence."""
    chain = Chain.of(records, miner_names)
    m = AttackMetrics()
    reorgs = [int(r["depth"]) for r in records if r["kind"] == "reorg" and r["node"] in honest]
    m.deepest_reorg = max(reorgs, default=0)
    names = {a.name for a in scenario.attackers}
    m.deepest_attacker_reorg = attacker_reorg_depth(records, chain, names, honest, miner_names)
    for a in scenario.attackers:
        windows = window_of(records, a.name, scenario.duration, a.active_from_start)
        if a.hashrate > 0:
            m.revenue[a.name] = revenue(chain, a.name, scenario.node(a.name).hashrate)
            m.tie_races[a.name] = tie_races(records, chain, a.name, honest, miner_names)
        if a.persona in PAYMENT_PERSONAS:
            z, give_up = double_spend_model(a)
            m.double_spends[a.name] = double_spends(records, chain, a.name, honest, z, give_up)
        if a.victim and a.persona in (*ECLIPSE_PERSONAS, "honest"):  # honest: a control run
            m.eclipses[a.name] = eclipse(records, chain, a.name, a.victim, honest, windows)
        if a.persona in SLOT_PERSONAS:
            m.peer_slots[a.name] = peer_slots(records, a.name, honest, windows)
        if a.persona in INVALID_DATA_PERSONAS:
            m.bans[a.name] = bans(records, a.name, honest, windows)
    return m
