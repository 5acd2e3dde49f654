"""`chaosnet validate`, `schema` and `new` as a user runs them: a real subprocess and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CHAOSNET = [sys.executable, "-c", "from chaosnet.cli import main; main()"]


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CHAOSNET, *args], capture_output=True, text=True, cwd=cwd, timeout=60, check=False
    )


def test_validate_all_valid_exits_0_and_says_ok() -> None:
    files = [str(p) for p in sorted((ROOT / "scenarios").glob("*.yaml"))]
    out = run("validate", *files)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [f"ok {f}" for f in files]


def test_validate_prints_every_problem_and_exits_2() -> None:
    good = ROOT / "scenarios" / "happy-path.yaml"
    bad = ROOT / "tests" / "unit" / "scenario" / "broken" / "unknown-node.yaml"
    out = run("validate", str(good), str(bad))
    assert out.returncode == 2
    assert out.stdout.splitlines() == [f"ok {good}"]
    assert len(out.stderr.splitlines()) == 4
    assert f"{bad}:11:22: timeline[0].crash: unknown node 'n9' (nodes: n1, n2, n3)" in out.stderr


def test_validate_for_a_backend_prints_what_it_would_refuse(tmp_path: Path) -> None:
    text = (ROOT / "scenarios" / "slow-node.yaml").read_text()
    grinding = tmp_path / "grinding.yaml"
    grinding.write_text(text.replace("mining: simulated", "mining: real"))
    big = tmp_path / "big.yaml"
    big.write_text(text.replace("nodes: {count: 4}", "nodes: {count: 65}"))
    assert run("validate", str(grinding), str(big)).returncode == 0  # valid as scenarios
    sim = run("validate", "--backend", "sim", str(grinding), str(big))
    assert sim.returncode == 2
    assert sim.stdout.splitlines() == [f"ok {big}"]
    assert sim.stderr.splitlines() == [
        f"{grinding}:8:53: mining: real cannot run on --backend sim (CPU time is not virtual "
        "time); use mining: simulated"
    ]
    local = run("validate", "-b", "local", str(grinding), str(big))
    assert local.returncode == 2
    assert local.stdout.splitlines() == [f"ok {grinding}"]
    assert f"{big}:7:16: 65 nodes is more than --backend local can hold (64)" in local.stderr
    quota = tmp_path / "quota.yaml"
    quota.write_text(text.replace("bandwidth: 64KB/s}", "bandwidth: 64KB/s, cpu: 25%}"))
    assert run("validate", "-b", "docker", str(quota)).returncode == 0  # docker sets quotas
    for backend in ("local", "sim"):
        refused = run("validate", "-b", backend, str(quota))
        assert refused.returncode == 2
        assert f"{quota}:11:84: a CPU quota" in refused.stderr, refused.stderr
    unknown = run("validate", "-b", "vm", str(big))
    assert unknown.returncode == 2
    assert "unknown backend 'vm'" in unknown.stderr


def test_schema_prints_the_json_schema() -> None:
    out = run("schema")
    assert out.returncode == 0
    assert json.loads(out.stdout) == json.loads(
        (ROOT / "schemas" / "scenario.schema.json").read_text()
    )


def test_schema_markdown_prints_the_reference() -> None:
    out = run("schema", "--markdown")
    assert out.returncode == 0
    assert "- **`nodes.topology.degree`** (integer, 1 to 63)" in out.stdout


@pytest.mark.parametrize("template", ["minimal", "partition", "chaos", "attack"])
def test_new_writes_a_starter_that_validates(tmp_path: Path, template: str) -> None:
    out = run("new", "my-test", "--template", template, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    written = tmp_path / "my-test.yaml"
    first = written.read_text().splitlines()[0]
    assert first == f"# yaml-language-server: $schema={ROOT / 'schemas' / 'scenario.schema.json'}"
    assert "name: my-test" in written.read_text()
    assert run("validate", str(written)).returncode == 0


def test_new_inside_the_project_points_at_the_schema_relatively(tmp_path: Path) -> None:
    target = ROOT / "scenarios" / "zz-test-new-relative.yaml"
    try:
        out = run("new", str(target))
        assert out.returncode == 0, out.stderr
        first = target.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../schemas/scenario.schema.json"
    finally:
        target.unlink(missing_ok=True)


def test_new_refuses_to_overwrite(tmp_path: Path) -> None:
    existing = tmp_path / "mine.yaml"
    existing.write_text("keep me\n")
    out = run("new", str(existing))
    assert out.returncode == 2
    assert f"{existing} already exists" in out.stderr
    assert existing.read_text() == "keep me\n"


def test_new_rejects_an_unknown_template(tmp_path: Path) -> None:
    out = run("new", "x", "--template", "fancy", cwd=tmp_path)
    assert out.returncode == 2
    assert "unknown template 'fancy'; choose one of minimal, partition, chaos, attack" in out.stderr
    assert not (tmp_path / "x.yaml").exists()
