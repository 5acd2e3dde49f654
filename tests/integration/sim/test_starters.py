"""`chaosnet new` writes starters a user runs first: each passes on sim as written, and the
attack and chaos starters fail once their point is taken away (their assertions can fail)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.inprocess import in_process
from tests.runs import only_run_dir

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


def new_and_run(tmp_path: Path, template: str, edit: tuple[str, str] | None = None) -> dict:
    made = in_process("new", "mine", "--template", template, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    scenario = tmp_path / "mine.yaml"
    if edit is not None:
        text = scenario.read_text()
        assert edit[0] in text
        scenario.write_text(text.replace(*edit))
    ran = in_process("run", str(scenario), "--backend", "sim", "--out", "runs", cwd=tmp_path)
    results = json.loads((only_run_dir(tmp_path / "runs") / "results.json").read_text())
    assert ran.returncode == (0 if results["verdict"] == "pass" else 1), ran.stdout[-2000:]
    return results


def failed(results: dict) -> list[str]:
    return [a["kind"] for a in results["assertions"] if not a["passed"]]


@pytest.mark.parametrize("template", ["minimal", "partition", "chaos", "attack"])
def test_a_starter_passes_as_written(tmp_path: Path, template: str) -> None:
    results = new_and_run(tmp_path, template)
    assert failed(results) == []


def test_the_chaos_starter_fails_without_its_wave_of_crashes(tmp_path: Path) -> None:
    # one node down at a time is what its random crashes allow (30% of 6): short of 30%
    wave = "  - {at: 40s, crash: n2, restart_after: 5s}\n"
    assert failed(new_and_run(tmp_path, "chaos", (wave, ""))) == ["survives_failures"]


def test_the_attack_starter_fails_once_selfish_mining_pays(tmp_path: Path) -> None:
    edit = ("hashrate: 25%", "hashrate: 45%")
    assert failed(new_and_run(tmp_path, "attack", edit)) == ["attacker_share"]
