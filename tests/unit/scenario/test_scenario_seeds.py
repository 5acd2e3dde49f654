"""The seed scenarios users start from: all present, all valid, all small enough for two cores."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosnet.scenario import load_scenario
from chaosnet.scenario.model import MiningMode, Role

SCENARIOS = Path(__file__).resolve().parents[3] / "scenarios"
SEEDS = [
    "happy-path",
    "fresh-sync",
    "partial-sync",
    "natural-fork",
    "deep-reorg",
    "partition-heal",
    "slow-node",
    "crash-restart",
    "byzantine-third",
    "eclipse",
    "sybil",
    "double-spend",
    "selfish-mining",
    "majority-51",
    "stress",
    "chaos",
]


def test_every_seed_scenario_has_a_file() -> None:
    missing = [s for s in SEEDS if not (SCENARIOS / f"{s}.yaml").is_file()]
    assert missing == []


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_scenario_file_is_valid_and_runnable_on_two_cores(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert path.read_text().startswith("# yaml-language-server: $schema=")
    assert (
        20 <= scenario.duration <= 120
    )  # selfish-mining needs 120 s of blocks to tell 1.2x fair from fair
    assert len(scenario.nodes) <= 20  # scale-20: twenty containers, the docker backend's test
    assert scenario.chain.mining is MiningMode.SIMULATED
    assert 1 <= scenario.chain.block_interval <= 3
    assert 8 <= scenario.chain.difficulty <= 12
    assert sum(n.hashrate for n in scenario.nodes) == pytest.approx(1.0)
    assert scenario.assertions


def test_byzantine_third_has_a_third_attackers() -> None:
    scenario = load_scenario(SCENARIOS / "byzantine-third.yaml")
    attackers = [n for n in scenario.nodes if n.role is Role.ATTACKER]
    assert len(attackers) * 3 == len(scenario.nodes)
    assert {a.persona for a in scenario.attackers} == {"invalid-blocks"}


@pytest.mark.parametrize("path", sorted((SCENARIOS / "bench").glob("*.yaml")), ids=lambda p: p.stem)
def test_bench_scenario_is_valid(path: Path) -> None:
    """`make bench` runs these; a schema change must not leave them unloadable."""
    assert load_scenario(path).assertions
