"""The two eclipse scenarios on the local backend (identities are real listeners): each fails on
its attack assertions when its attacker is made honest (same place, no identities). That they
pass as shipped is `test_run_local.test_seed_scenario_passes_and_shows_its_faults_...`."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runs import honest_control, run_scenario

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.mark.parametrize(
    ("scenario", "attack_assertions"),
    [
        ("eclipse.yaml", {"eclipsed"}),  # an honest peer and no lag hold without an attack too
        ("eclipse-undefended.yaml", {"eclipsed", "victim_lag"}),
    ],
)
def test_eclipse_scenario_fails_when_its_attacker_is_honest(
    scenario: str, attack_assertions: set[str], out: Path, tmp_path: Path
) -> None:
    control = honest_control(scenario, tmp_path)
    ran = run_scenario(control, out, exit_codes=(1,))
    failed = {a["kind"] for a in ran.results["assertions"] if not a["passed"]}
    assert failed == attack_assertions, ran.results["assertions"]
