"""`chaosnet explore` against a planted bug, as issue 10 asks: with the test-only switch
CHAOSNET_PLANTED_BUG=reorg-mempool the nodes lose the transactions of reorgs deeper than two
blocks. Explore must find a seed whose random partitions cause one, shrink its schedule to at
most 3 timeline events, and write a file that `chaosnet run` fails with again; with the switch
off, the same seeds and that file pass. All on sim: every run is deterministic."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from reference_node.app import PLANTED_BUG
from tests.runs import SCENARIOS, chaosnet, run_scenario

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SCENARIO = SCENARIOS / "explore" / "reorg-mempool.yaml"
LOST_TXS = "txs_confirmed >= 100% of submitted"


def _explore(tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    out = tmp_path / "exploration"
    proc = chaosnet("explore", str(SCENARIO), "--out", str(out), *args, cwd=tmp_path)
    summary = json.loads((out / "explore.json").read_text())
    return proc.returncode, summary, proc.stdout + proc.stderr


def _drawn_events(path: Path) -> list[str]:
    """The file's timeline events other than the chaos event, which draws nothing there."""
    timeline = yaml.safe_load(path.read_text())["timeline"]
    return [e["name"] for e in timeline if "chaos" not in e]


def test_explore_finds_the_planted_bug_and_shrinks_it_to_a_file_that_fails_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PLANTED_BUG, "reorg-mempool")
    code, summary, output = _explore(
        tmp_path, "--seeds", "200", "--max-failures", "1", "--shrink-budget", "8"
    )
    assert code == 1, output[-3000:]
    (found,) = summary["failures"]
    assert found["seed"] < 200 and found["failed"] == [LOST_TXS]
    assert summary["passed"] == list(range(1, found["seed"])), "some schedules do not show it"
    assert found["reproduced"] is True
    minimal = Path(found["files"]["minimal"])
    events = _drawn_events(minimal)
    drawn = _drawn_events(Path(found["files"]["drawn"]))
    assert 1 <= len(events) <= 3 < len(drawn), (events, drawn)
    assert f"seed {found['seed']}: fail" in output and "shrunk to" in output

    rerun = run_scenario(minimal, _fresh(tmp_path / "rerun"), "--backend", "sim", exit_codes=(1,))
    failed = [a["name"] for a in rerun.results["assertions"] if not a["passed"]]
    assert failed == [LOST_TXS]

    monkeypatch.delenv(PLANTED_BUG)
    fixed = run_scenario(minimal, _fresh(tmp_path / "fixed"), "--backend", "sim")
    assert fixed.results["verdict"] == "pass"


def test_without_the_planted_bug_the_same_seeds_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PLANTED_BUG, raising=False)
    code, summary, output = _explore(tmp_path, "--seeds", "3")
    assert code == 0, output[-3000:]
    assert summary["passed"] == [1, 2, 3] and summary["failures"] == []
    assert "3 seeds run: 3 passed, 0 failed" in output


def _fresh(path: Path) -> Path:
    path.mkdir()
    return path
