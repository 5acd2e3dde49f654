"""The whole runner on the in-memory backend with an attacker: results.json carries the attack
metrics in the contracted shape, and an attack assertion decides the verdict. The fake chain is
mined entirely by n1, so `eve` (a quarter of the hashrate) got nothing."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import jsonschema
import pytest

from chaosnet.errors import ScenarioError
from chaosnet.plan import resolve
from chaosnet.runner import Runner
from tests.fakes import CHAIN_LENGTH, FakeBackend
from tests.runs import RESULTS_SCHEMA
from tests.unit.attacks.journals import scenario


@pytest.mark.parametrize(("bound", "verdict"), [("max: fair", "pass"), ("min: fair", "fail")])
def test_an_attacker_that_gained_nothing_fails_a_min_fair_share(
    tmp_path: Path, bound: str, verdict: str
) -> None:
    written = scenario(
        "persona: selfish, hashrate: 25%", f"[attacker_share: {{attacker: eve, {bound}}}]"
    )
    spec = dataclasses.replace(written, duration=0.3)
    backend = FakeBackend()
    result = Runner(resolve(spec), backend, tmp_path, transport=backend.transport).run()
    jsonschema.validate(result.results, RESULTS_SCHEMA)
    assert result.results["verdict"] == verdict
    revenue = result.results["metrics"]["attacks"]["revenue"]["eve"]
    assert revenue == {"blocks": 0, "chain_blocks": CHAIN_LENGTH, "share": 0.0, "fair_share": 0.25}


@pytest.mark.parametrize(
    ("attacker", "assertion", "message"),
    [
        ("persona: selfish, hashrate: 25%", "attacker_share: {attacker: bob, max: fair}", "bob"),
        ("persona: eclipse, victim: n1", "eclipsed: {victim: eve, during: 5s}", "is an attacker"),
        ("persona: sybil", "attacker_share: {attacker: eve, max: 2x fair}", "needs a hashrate"),
        ("persona: sybil", "banned: {attackers: [eve, zed], within: 5s}", "'zed'"),
        ("persona: sybil", "attacker_share: {attacker: eve, max: 3 fair}", "1.2x fair"),
    ],
)
def test_attack_assertions_name_what_is_wrong_where(
    attacker: str, assertion: str, message: str
) -> None:
    with pytest.raises(ScenarioError) as caught:
        scenario(attacker, f"[{assertion}]")
    assert message in str(caught.value) and "<scenario>:8:" in str(caught.value)
