"""What the runner receives: the typed model built from YAML, with units, defaults and names resolved."""

from __future__ import annotations

import pytest

from chaosnet.errors import ScenarioError
from chaosnet.scenario import load_scenario_text
from chaosnet.scenario.model import (
    After,
    AssertionMode,
    At,
    AttackStart,
    Chaos,
    Condition,
    Crash,
    Heal,
    Join,
    LinkChange,
    LinkOverride,
    LinkSettings,
    Partition,
    PartitionShape,
    Pause,
    Role,
    TopologyKind,
    Wait,
    When,
)

FULL = """\
apiVersion: chaosnet/v1
name: full
seed: 3
duration: 2m
nodes:
  count: 4
  miners: 3
  list:
    - {name: n1, hashrate: 40%}
    - {name: late, role: honest, starts: false, prune: 50}
    - {name: m, role: attacker}
  groups: {east: [n1, n2], west: [n3, n4]}
  topology: {kind: explicit, links: [[n1, n2], [n2, n3], [n3, n4], [n4, late]]}
  bootstrap: [n1]
chain: {difficulty: 9, block_interval: 1500ms}
links:
  latency: 100ms
  loss: 0.5%
  bandwidth: 1MB/s
  rules:
    - {from: east, to: west, latency: 300ms}
    - {from: n4, oneway: true, bandwidth: 8Mbit/s}
load: {tps: 25, targets: [east], pattern: ramp}
attackers:
  - {name: m, persona: double-spend, hashrate: 0.2, victim: n1, confirmations: 3,
     active: false, params: {withhold: 2, loud: true}}
timeline:
  - {at: 10s, name: split, partition: [[east], [n3]]}
  - {after: split, delay: 20s, name: heal, heal: all}
  - {when: {height: 30, nodes: [west]}, timeout: 1m, join: late}
  - {until: converged, timeout: 30s, name: settled}
  - {at: 70s, crash: n2, restart_after: 5s}
  - {at: 80s, slow: {node: n3, latency: 1s, cpu: 50%}, duration: 10s}
  - {at: 81s, pause: n4, duration: 2s}
  - {at: 82s, link: {nodes: [west], loss: 10%}}
  - {at: 83s, partition: {shape: isolate, node: n2}}
  - {at: 84s, attack: {start: m}}
  - {at: 85s, chaos: {duration: 20s, crash_rate: 0.1, loss: [1%, 2%]}}
assertions:
  - converge: {within: 30s, after: heal}
  - propagation: {max: 800ms}
  - memory: {max: 200MB}
  - height: {min: 10, nodes: [east], name: east grows}
  - no_invalid_blocks: {}
  - max_reorg_depth: {max: 3, mode: always}
"""


def test_nodes_roles_hashrate_and_groups() -> None:
    s = load_scenario_text(FULL)
    assert s.node_names == ("n1", "n2", "n3", "n4", "late", "m")
    assert [n.role for n in s.nodes] == [
        Role.MINER,
        Role.MINER,
        Role.MINER,
        Role.HONEST,
        Role.HONEST,
        Role.ATTACKER,
    ]
    # 40% given, 20% to the attacker, the other two miners split the remaining 40%
    assert [round(n.hashrate, 6) for n in s.nodes] == [0.4, 0.2, 0.2, 0.0, 0.0, 0.2]
    assert s.node("n1").group == "east" and s.node("n4").group == "west"
    assert s.node("late").starts is False and s.node("late").prune == 50
    assert s.topology.kind is TopologyKind.EXPLICIT and ("n4", "late") in s.topology.links
    assert s.bootstrap == ("n1",)


def test_units_defaults_and_link_rules() -> None:
    s = load_scenario_text(FULL)
    assert s.duration == 120 and s.seed == 3
    assert s.chain.block_interval == 1.5 and s.chain.difficulty == 9 and s.chain.reward == 50
    assert s.links == LinkSettings(latency=0.1, loss=0.005, bandwidth=1_000_000)
    east_west = LinkSettings(latency=0.3)
    assert s.link_overrides[:2] == (
        LinkOverride(("n1", "n2"), ("n3", "n4"), east_west),
        LinkOverride(("n3", "n4"), ("n1", "n2"), east_west),
    )
    assert s.link_overrides[2] == LinkOverride(
        ("n4",), s.node_names, LinkSettings(bandwidth=1_000_000)
    )
    assert len(s.link_overrides) == 3  # oneway: no reverse rule
    assert s.load is not None and s.load.targets == ("n1", "n2") and s.load.tps == 25


def test_attacker_is_typed() -> None:
    (m,) = load_scenario_text(FULL).attackers
    assert (m.persona, m.hashrate, m.victim, m.confirmations) == ("double-spend", 0.2, "n1", 3)
    assert m.active_from_start is False
    assert m.params == (("withhold", "2"), ("loud", "true"))


def test_timeline_triggers_and_actions() -> None:
    events = load_scenario_text(FULL).timeline
    assert [e.trigger for e in events[:4]] == [
        At(10),
        After("split", 20),
        When(Condition(height=30, nodes=("n3", "n4")), 60),
        When(Condition(converged=True), 30),
    ]
    assert [e.action for e in events] == [
        Partition(groups=(("n1", "n2"), ("n3",))),
        Heal(),
        Join("late"),
        Wait(),
        Crash("n2", restart_after=5),
        Pause("n3", duration=10, slow=LinkSettings(latency=1.0), cpu=0.5),
        Pause("n4", duration=2),
        LinkChange(("n3", "n4"), LinkSettings(loss=0.1)),
        Partition(shape=PartitionShape.ISOLATE, node="n2"),
        AttackStart("m"),
        Chaos(duration=20, crash_rate=0.1, loss=(0.01, 0.02)),
    ]
    assert events[0].name == "split" and events[0].line == 28


def test_assertions_in_base_units_with_names_and_modes() -> None:
    assertions = load_scenario_text(FULL).assertions
    by_kind = {a.kind: a for a in assertions}
    assert by_kind["converge"].name == "converge within 30s after heal"
    assert (
        by_kind["converge"].param("within") == 30 and by_kind["converge"].param("after") == "heal"
    )
    assert by_kind["propagation"].param("max") == pytest.approx(0.8)
    assert by_kind["propagation"].param("coverage") == 0.9
    assert by_kind["memory"].param("max") == 200_000_000
    assert by_kind["memory"].mode is AssertionMode.ALWAYS
    assert by_kind["height"].name == "east grows" and by_kind["height"].nodes == ("n1", "n2")
    assert by_kind["no_invalid_blocks"].mode is AssertionMode.ALWAYS
    assert by_kind["max_reorg_depth"].mode is AssertionMode.ALWAYS
    assert by_kind["converge"].mode is AssertionMode.END


def test_identical_assertions_must_be_told_apart() -> None:
    text = FULL.replace("  - no_invalid_blocks: {}\n", "  - no_invalid_blocks: {}\n" * 2)
    with pytest.raises(ScenarioError) as caught:
        load_scenario_text(text, "x.yaml")
    assert caught.value.messages == [
        "x.yaml:45:5: assertions[5]: same as assertions[4] ('no_invalid_blocks'); remove one "
        "or give it a different `name`"
    ]


def test_yaml_1_2_booleans_keep_node_names_as_text() -> None:
    text = """\
apiVersion: chaosnet/v1
name: norway
duration: 30s
nodes:
  list: [{name: no}, {name: on, role: honest, starts: false}]
timeline:
  - {at: 5s, join: on}
"""
    assert load_scenario_text(text).node_names == ("no", "on")


def test_anchors_and_merge_keys_work() -> None:
    text = """\
apiVersion: chaosnet/v1
name: anchors
duration: 30s
nodes: {count: 3}
links: &fast {latency: 10ms, jitter: 1ms}
timeline:
  - {at: 5s, link: {<<: *fast, nodes: [n1], latency: 20ms}}
"""
    (event,) = load_scenario_text(text).timeline
    assert event.action == LinkChange(("n1",), LinkSettings(latency=0.02, jitter=0.001))
