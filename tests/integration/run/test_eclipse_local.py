"""An eclipse scenario on the local backend fails on its attack assertions when its attacker is
made honest (same place, no identities). That both eclipse scenarios pass as shipped, their
identities real listeners, is `test_run_local.test_seed_scenario_passes_and_shows_its_faults_...`.

`eclipse-undefended` only: its control fails on both attack assertions, the victim's lag
measured in real time included. The defended scenario's control fails on `eclipsed` alone, the
assertion the undefended one already shows failing here, and both controls run on sim
(`tests/integration/sim/test_attack_controls.py`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.runs import honest_control, run_scenario

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


@pytest.mark.parametrize(
    ("scenario", "attack_assertions"),
    [("eclipse-undefended.yaml", {"eclipsed", "victim_lag"})],
)
def test_eclipse_scenario_fails_when_its_attacker_is_honest(
    scenario: str, attack_assertions: set[str], out: Path, tmp_path: Path
) -> None:
    control = honest_control(scenario, tmp_path)
    ran = run_scenario(control, out, exit_codes=(1,))
    failed = {a["kind"] for a in ran.results["assertions"] if not a["passed"]}
    assert failed == attack_assertions, ran.results["assertions"]
