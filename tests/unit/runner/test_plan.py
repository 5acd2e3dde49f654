"""The plan: every random choice made from the seed, partitions resolved to exact links."""

from __future__ import annotations

import itertools

import pytest

from chaosnet.plan import CutLinks, resolve, resolve_edges, resolve_partition
from chaosnet.scenario.model import (
    After,
    At,
    Chaos,
    Crash,
    Event,
    NodeDef,
    Partition,
    PartitionShape,
    Scenario,
    Topology,
    TopologyKind,
)

NAMES = [f"n{i}" for i in range(1, 11)]


def scenario(**kwargs: object) -> Scenario:
    base: dict[str, object] = {
        "name": "t",
        "duration": 60.0,
        "nodes": tuple(NodeDef(n, hashrate=0.1) for n in NAMES),
    }
    base.update(kwargs)
    return Scenario(**base)  # type: ignore[arg-type]


def connected(names: list[str], edges: tuple[tuple[str, str], ...]) -> bool:
    reach, frontier = {names[0]}, [names[0]]
    while frontier:
        node = frontier.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == node and y not in reach:
                    reach.add(y)
                    frontier.append(y)
    return reach == set(names)


@pytest.mark.parametrize("seed", range(20))
def test_random_topology_is_connected_and_reaches_the_degree(seed: int) -> None:
    import random

    s = scenario(topology=Topology(TopologyKind.RANDOM, degree=3))
    edges = resolve_edges(s, random.Random(seed))
    assert connected(NAMES, edges)
    degree = {n: sum(n in e for e in edges) for n in NAMES}
    assert min(degree.values()) >= 2  # the ring alone guarantees two
    assert sum(degree.values()) / len(NAMES) >= 2.8


def test_full_mesh_and_ring_have_the_expected_edges() -> None:
    import random

    mesh = resolve_edges(scenario(), random.Random(0))
    assert len(mesh) == len(NAMES) * (len(NAMES) - 1) // 2
    ring = resolve_edges(scenario(topology=Topology(TopologyKind.RING)), random.Random(0))
    assert len(ring) == len(NAMES) and connected(NAMES, ring)


def test_explicit_groups_cut_every_pair_across_groups_only() -> None:
    cut = resolve_partition(Partition(groups=(("n1", "n2"),)), NAMES, ())
    assert isinstance(cut, CutLinks)
    pairs = {frozenset(p) for p in cut.pairs}
    assert {"n1", "n3"} in pairs and {"n2", "n10"} in pairs
    assert {"n1", "n2"} not in pairs and {"n3", "n4"} not in pairs
    assert len(cut.pairs) == 2 * 8


def test_halves_isolate_and_bridge_shapes() -> None:
    halves = resolve_partition(Partition(shape=PartitionShape.HALVES), NAMES, ())
    assert len(halves.pairs) == 5 * 5
    isolate = resolve_partition(Partition(shape=PartitionShape.ISOLATE, node="n4"), NAMES, ())
    assert len(isolate.pairs) == 9 and all("n4" in p for p in isolate.pairs)
    bridge = resolve_partition(Partition(shape=PartitionShape.BRIDGE, node="n5"), NAMES, ())
    assert not any("n5" in p for p in bridge.pairs)  # the bridge keeps every link
    assert bridge.pairs  # yet the two sides no longer reach each other directly


def chaos_scenario(seed: int = 7) -> Scenario:
    chaos = Chaos(duration=40.0, crash_rate=0.5, max_down=0.3, restart_after=5.0, loss=(0.01, 0.05))
    return scenario(
        seed=seed,
        topology=Topology(TopologyKind.RANDOM, degree=3),
        timeline=(Event(At(5.0), chaos, name="chaos"),),
    )


def test_same_seed_same_schedule_and_a_different_seed_differs() -> None:
    first, again = resolve(chaos_scenario(7)), resolve(chaos_scenario(7))
    assert first.schedule_json() == again.schedule_json()
    assert first.schedule_digest() == again.schedule_digest()
    assert resolve(chaos_scenario(8)).schedule_digest() != first.schedule_digest()
    assert (
        resolve(chaos_scenario(7), seed=8).schedule_digest()
        == resolve(chaos_scenario(8)).schedule_digest()
    )


def test_chaos_never_takes_down_more_than_its_share() -> None:
    for seed in range(30):
        plan = resolve(chaos_scenario(seed))
        crashes = [
            (e.trigger.delay, e.trigger.delay + (e.action.restart_after or 0))
            for e in plan.events
            if isinstance(e.action, Crash) and isinstance(e.trigger, After)
        ]
        assert crashes, "a 0.5/s crash rate over 40s draws crashes"
        for t in itertools.chain.from_iterable(crashes):
            down = sum(1 for start, end in crashes if start <= t < end)
            assert down <= 3  # 30% of 10 nodes


def test_chaos_loss_stays_within_its_bounds_and_is_restored() -> None:
    plan = resolve(chaos_scenario())
    loss_events = [e for e in plan.events if e.id.startswith("chaos.loss")]
    assert [e.id for e in loss_events] == ["chaos.loss", "chaos.loss-end"]
    drawn = [s.loss for _, s in loss_events[0].action.links if s is not None]  # type: ignore[union-attr]
    assert drawn and all(0.01 <= x <= 0.05 for x in drawn)
    assert all(s is None for _, s in loss_events[1].action.links)  # type: ignore[union-attr]


def test_a_nodes_own_settings_reach_its_command_line() -> None:
    from chaosnet.backends.command import role_args
    from chaosnet.scenario import load_scenario_text

    scenario = load_scenario_text(
        "apiVersion: chaosnet/v1\nname: t\nduration: 10s\n"
        "nodes: {count: 2, list: [{name: n1, max_peers: 4, eclipse_defence: false}]}\n"
        "attackers: [{name: eve, persona: eclipse, victim: n1, active: false}]\n"
    )
    args = {spec.name: role_args(spec) for spec in resolve(scenario).nodes}
    assert "--max-peers=4" in args["n1"] and "--eclipse-defence=off" in args["n1"]
    assert not any(a.startswith(("--max-peers", "--eclipse")) for a in args["n2"])
    assert "--persona-dormant" in args["eve"]
