"""The network's state and the actions that change it, applied to the in-memory backend."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from chaosnet.errors import HarnessFault
from chaosnet.journal import Journal
from chaosnet.plan import Resume, resolve
from chaosnet.run.network import FollowUp, Network, Skipped, describe_fault
from chaosnet.scenario.model import (
    Attacker,
    AttackStart,
    AttackStop,
    Crash,
    Join,
    Leave,
    LinkChange,
    LinkSettings,
    NodeDef,
    Pause,
    Restart,
    Role,
    Scenario,
)
from chaosnet.specs import ChainSpec, LinkFault
from tests.fakes import FakeBackend

NODES = ("n1", "n2", "n3")


@pytest.fixture
def backend() -> FakeBackend:
    return FakeBackend()


@pytest.fixture
def network(tmp_path: Path, backend: FakeBackend) -> Network:
    scenario = Scenario(
        name="net",
        duration=10.0,
        nodes=(*(NodeDef(n) for n in NODES), NodeDef("n4", starts=False)),
        links=LinkSettings(latency=0.02),
    )
    plan = resolve(scenario)
    backend.setup(tmp_path, ChainSpec(difficulty=4), list(plan.nodes))
    net = Network(plan, backend, Journal(tmp_path / "events.jsonl"))
    net.start_all()
    net.mark_all_started()
    net.apply_link_defaults()
    return net


def test_a_crash_asks_for_its_restart_and_a_second_crash_is_skipped(network: Network) -> None:
    assert network.apply(Crash("n2", restart_after=3.0)) == FollowUp("restart", 3.0, Restart("n2"))
    assert network.running() == ["n1", "n3"]
    with pytest.raises(Skipped, match="n2 is already down"):
        network.apply(Crash("n2"))
    assert network.apply(Restart("n2")) is None
    with pytest.raises(Skipped, match="n2 is running"):
        network.apply(Restart("n2"))


def test_pause_and_resume_only_make_sense_in_the_right_state(
    network: Network, backend: FakeBackend
) -> None:
    network.apply(Crash("n1"))
    with pytest.raises(Skipped, match="n1 is crashed"):
        network.apply(Pause("n1", duration=2.0))
    assert network.apply(Pause("n2", duration=2.0)) == FollowUp("resume", 2.0, Resume("n2"))
    assert network.faults_in_force() == ["n1 crashed", "n2 paused"]
    network.apply(Resume("n2"))
    with pytest.raises(Skipped, match="n2 is not paused"):
        network.apply(Resume("n2"))
    assert [c[0] for c in backend.calls if c[0].endswith("_node")][-3:] == [
        "kill_node",
        "pause_node",
        "resume_node",
    ]


def test_a_slow_node_gets_its_links_back_when_the_slowness_ends(
    network: Network, backend: FakeBackend
) -> None:
    clean = LinkFault(latency_ms=20.0)
    network.apply(Pause("n3", duration=1.0, slow=LinkSettings(latency=0.5)))
    assert backend.links[("n1", "n3")] == backend.links[("n3", "n2")] == LinkFault(latency_ms=500.0)
    assert backend.links[("n1", "n2")] == clean
    assert network.faults_in_force() == ["n3 slow"] and network.is_running("n3")
    network.apply(Resume("n3"))
    assert set(backend.links.values()) == {clean}
    assert network.faults_in_force() == []


def test_link_changes_merge_with_the_current_settings_and_reset_to_the_defaults(
    network: Network, backend: FakeBackend
) -> None:
    network.apply(LinkChange(("n1",), LinkSettings(loss=0.1)))
    assert backend.links[("n2", "n1")] == LinkFault(latency_ms=20.0, loss=0.1)
    network.apply(LinkChange(("n1",), LinkSettings(), reset=True))
    assert backend.links[("n2", "n1")] == LinkFault(latency_ms=20.0)


def test_join_and_leave(network: Network) -> None:
    network.apply(Join("n4"))
    with pytest.raises(Skipped, match="already running"):
        network.apply(Join("n4"))
    network.apply(Leave("n4"))
    with pytest.raises(Skipped, match="n4 is stopped"):
        network.apply(Leave("n4"))
    assert network.state["n4"] == "stopped"


def test_an_attack_starts_and_stops_once(tmp_path: Path, backend: FakeBackend) -> None:
    scenario = Scenario(
        name="attack",
        duration=10.0,
        nodes=(NodeDef("n1"), NodeDef("n2"), NodeDef("evil", role=Role.ATTACKER)),
        attackers=(Attacker("evil", "selfish", active_from_start=False),),
    )
    plan = resolve(scenario)
    assert "--persona-dormant" in plan.nodes[2].extra_args
    backend.setup(tmp_path, ChainSpec(difficulty=4), list(plan.nodes))
    network = Network(plan, backend, Journal(tmp_path / "events.jsonl"), backend.transport)
    network.start_all()
    network.mark_all_started()
    assert network.running() == ["n1", "n2", "evil"]  # dormant: mining honestly
    network.apply(AttackStart("evil"))
    assert backend.nodes["evil"].activations == 1
    with pytest.raises(Skipped, match="evil's attack is already running"):
        network.apply(AttackStart("evil"))
    network.apply(AttackStop("evil"))
    assert network.state["evil"] == "attack stopped" and not backend.nodes["evil"].running
    assert network.running_honest() == ["n1", "n2"]
    network.apply(AttackStart("evil"))  # a second attack: started again, then activated
    assert backend.nodes["evil"].running and backend.nodes["evil"].activations == 2


def test_miners_start_mining_at_time_zero_and_again_whenever_they_start_again(
    tmp_path: Path, backend: FakeBackend
) -> None:
    scenario = Scenario(
        name="held",
        duration=10.0,
        nodes=(
            NodeDef("m1", hashrate=0.5),
            NodeDef("relay", role=Role.HONEST),
            NodeDef("m2", hashrate=0.5, starts=False),
        ),
    )
    plan = resolve(scenario)
    backend.setup(tmp_path, ChainSpec(difficulty=4), list(plan.nodes))
    network = Network(plan, backend, Journal(tmp_path / "events.jsonl"), backend.transport)
    network.start_all()
    network.mark_all_started()
    assert backend.nodes["m1"].mining_starts == 0, "started held: nothing mined before time zero"
    network.start_mining_all()
    network.apply(Crash("m1"))
    network.apply(Restart("m1"))
    network.apply(Join("m2"))
    starts = {name: node.mining_starts for name, node in backend.nodes.items()}
    assert starts == {"m1": 2, "relay": 0, "m2": 1}


def test_a_miner_that_does_not_say_it_mines_is_a_harness_fault(
    tmp_path: Path, backend: FakeBackend
) -> None:
    scenario = Scenario(name="deaf", duration=10.0, nodes=(NodeDef("m1", hashrate=1.0),))
    plan = resolve(scenario)
    backend.setup(tmp_path, ChainSpec(difficulty=4), list(plan.nodes))
    backend.nodes["m1"].spec = replace(backend.nodes["m1"].spec, mine=False)  # it ignores --mine
    network = Network(plan, backend, Journal(tmp_path / "events.jsonl"), backend.transport)
    network.start_all()
    expected = r"m1 did not start mining: .* — while starting mining on m1"
    with pytest.raises(HarnessFault, match=expected):
        network.start_mining_all()


def test_anything_the_backend_raises_is_a_harness_fault_saying_what_was_being_done(
    network: Network, backend: FakeBackend
) -> None:
    backend.fail("kill_node", RuntimeError("engine gone"))
    with pytest.raises(HarnessFault, match="engine gone — while crashing n2"):
        network.apply(Crash("n2"))
    assert network.is_running("n2"), "a crash that did not happen is not journalled as one"


def test_faults_are_described_in_words() -> None:
    assert describe_fault(LinkFault()) == "a clean link"
    assert describe_fault(LinkFault(latency_ms=50, jitter_ms=10, loss=0.01)) == (
        "latency 50ms, jitter 10ms, loss 0.01"
    )
