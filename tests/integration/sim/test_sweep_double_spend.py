"""`chaosnet sweep` of the double-spend sweep scenario: every attempt a run starts is a trial
(none left unresolved, none missed at z = 1, where an honest node holds the payment for one link
delay), the point pools them and puts Rosenfeld's closed form beside them. The 1,000-trial
comparison per point is docs/attacks.md's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chaosnet import theory
from tests.runs import SCENARIOS, chaosnet

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_a_double_spend_sweep_counts_every_attempt_and_pools_them(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    proc = chaosnet(
        "sweep", str(SCENARIOS / "sweep" / "double-spend-success.yaml"), "--backend", "sim",
        "--seeds", "1", "--set", "attackers.mallory.confirmations=1", "--out", str(sweep),
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (point,) = json.loads((sweep / "sweep.json").read_text())["points"]
    (run,) = point["runs"]
    spends = json.loads((sweep / run / "results.json").read_text())["metrics"]["attacks"]
    made = spends["double_spends"]["mallory"]
    assert made["attempts"] >= 20 and made["unresolved"] == 0
    assert made["confirmed"] == made["attempts"], "an attempt at z = 1 went unseen"
    rate = point["metrics"]["double_spend_success"]
    assert rate["n"] == made["confirmed"]
    assert rate["mean"] == pytest.approx(made["succeeded"] / made["confirmed"], abs=1e-6)
    assert rate["expected"] == pytest.approx(theory.double_spend_rosenfeld(0.3, 1, 10), abs=1e-6)
    assert rate["ci95"][0] <= rate["expected"] <= rate["ci95"][1]
