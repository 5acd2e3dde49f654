"""Every attack scenario's assertions can fail: run with its attackers made honest (same hashrate,
same place in the network), each one fails on the assertion that says the attack happened.
On the sim backend, where a run takes seconds; eclipse and sybil need real listeners and are
checked on the local backend (`tests/integration/run`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runs import honest_control, run_scenario

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.mark.parametrize(
    ("scenario", "attack_assertion"),
    [
        ("selfish-mining.yaml", "attacker_share"),
        ("majority-51.yaml", "attacker_reorg_depth"),
        ("double-spend.yaml", "double_spend_success"),
        ("byzantine-third.yaml", "banned"),
    ],
)
def test_attack_scenario_fails_when_its_attackers_are_honest(
    scenario: str, attack_assertion: str, out: Path, tmp_path: Path
) -> None:
    control = honest_control(scenario, tmp_path)
    ran = run_scenario(control, out, "--backend", "sim", exit_codes=(1,))
    failed = {a["kind"] for a in ran.results["assertions"] if not a["passed"]}
    assert failed == {attack_assertion}, ran.results["assertions"]
