"""Every attack scenario's assertions can fail: run with its attackers made honest (same hashrate,
same place in the network, no identities), each one fails on the assertions that say the attack
happened. On the sim backend, where a run takes seconds (eclipse-undefended's is also checked
on local, in real time: `tests/integration/run/test_eclipse_local.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.inprocess import in_process
from tests.runs import honest_control, run_scenario

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.mark.parametrize(
    ("scenario", "attack_assertions"),
    [
        ("selfish-mining.yaml", {"attacker_share"}),
        ("majority-51.yaml", {"attacker_reorg_depth"}),
        ("double-spend.yaml", {"double_spend_success"}),
        ("byzantine-third.yaml", {"banned"}),
        ("sybil.yaml", {"eclipsed"}),  # the network agrees and grows without an attack too
        ("eclipse.yaml", {"eclipsed"}),  # an honest peer and no lag hold without an attack too
        ("eclipse-undefended.yaml", {"eclipsed", "victim_lag"}),
        ("sweep/selfish-revenue.yaml", {"attacker_reorg_depth"}),
        ("sweep/double-spend-success.yaml", {"double_spend_success"}),
    ],
)
def test_attack_scenario_fails_when_its_attackers_are_honest(
    scenario: str, attack_assertions: set[str], out: Path, tmp_path: Path
) -> None:
    control = honest_control(scenario, tmp_path)
    ran = run_scenario(control, out, "--backend", "sim", exit_codes=(1,), cli=in_process)
    failed = {a["kind"] for a in ran.results["assertions"] if not a["passed"]}
    assert failed == attack_assertions, ran.results["assertions"]
