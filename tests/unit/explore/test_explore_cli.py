"""`chaosnet explore` on input it cannot explore: exit 2 with the reason, and nothing run."""

from __future__ import annotations

from pathlib import Path

from tests.runs import SCENARIOS, chaosnet


def test_bad_input_exits_2_with_the_reason_and_runs_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        (SCENARIOS / "explore" / "reorg-mempool.yaml").read_text().replace("3s}", "soon}")
    )
    lossy = tmp_path / "lossy.yaml"
    second = "  - {at: 30s, name: lossy, chaos: {duration: 5s, loss: [1%, 2%]}}\n"
    lossy.write_text(
        (SCENARIOS / "explore" / "reorg-mempool.yaml")
        .read_text()
        .replace("assertions:", second + "assertions:")
    )
    grinding = tmp_path / "grinding.yaml"
    grinding.write_text(
        (SCENARIOS / "explore" / "reorg-mempool.yaml")
        .read_text()
        .replace("mining: simulated", "mining: real")
    )
    cases = {
        grinding: f"{grinding}:10:52: mining: real cannot run on --backend sim",  # as run says
        lossy: "explore can repeat a chaos `loss` only on the first chaos event",
        tmp_path / "missing.yaml": "cannot read the scenario",
    }
    for path, reason in cases.items():
        proc = chaosnet("explore", str(path), "--out", str(tmp_path / "out"), cwd=tmp_path)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert reason in proc.stderr, proc.stderr
    proc = chaosnet("explore", str(lossy), "--backend", "nowhere", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown backend" in proc.stderr
    assert not (tmp_path / "out").exists()
