"""The suite's own rule (tests/conftest.py): a test whose machine need is missing skips on a
developer's machine and fails on CI, naming the fix either way.

Each case runs pytest in a subprocess on a one-line docker-marked test, with a Docker host that
does not exist; the need is checked before any fixture, so no image is ever built here.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TINY = "import pytest\n\n\n@pytest.mark.docker\ndef test_needs_docker():\n    pass\n"


def pytest_on_tiny(tmp_path: Path, ci: bool) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_tiny.py").write_text(TINY)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env.update(DOCKER_HOST="unix:///nonexistent", PYTHONPATH=str(REPO), COLUMNS="200")
    if ci:
        env["CI"] = "1"
    command = [sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider"]
    return subprocess.run(
        [*command, "-ra", "-W", "ignore::pytest.PytestUnknownMarkWarning", "test_tiny.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_on_ci_a_missing_docker_engine_fails_the_suite_and_names_the_fix(tmp_path: Path) -> None:
    done = pytest_on_tiny(tmp_path, ci=True)
    assert done.returncode == 1, done.stdout[-3000:]
    assert "1 error" in done.stdout
    assert "CI must run this test, but Docker engine: unreachable" in done.stdout
    assert "fix: start the Docker engine (systemctl start docker) or set DOCKER_HOST" in done.stdout
    assert "missing on CI" in done.stdout


def test_on_a_developer_machine_it_skips_and_says_why(tmp_path: Path) -> None:
    done = pytest_on_tiny(tmp_path, ci=False)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "1 skipped" in done.stdout
    assert "SKIPPED" in done.stdout and "Docker engine: unreachable" in done.stdout
    assert "fix: start the Docker engine" in done.stdout


def test_make_test_fails_when_pytest_collects_no_tests() -> None:
    """pytest exits 5 on an empty selection; `make test` (and so .ci/run) must fail, and say so."""
    done = subprocess.run(
        ["make", "test", "PYTEST_ARGS=-p no:cacheprovider tests/unit/test_suite_needs.py -k zzz"],
        cwd=REPO,
        env={k: v for k, v in os.environ.items() if not k.startswith("MAKE")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode != 0, done.stdout[-2000:]
    assert "make test: pytest collected no tests (exit 5)" in done.stderr


def test_host_packages_script_is_idempotent_and_names_what_it_installs() -> None:
    """`make test` runs it every time: once the programs are there it only looks them up."""
    script = REPO / "scripts" / "install-host-packages.sh"
    first = subprocess.run([script], capture_output=True, text=True, timeout=900, check=False)
    assert first.returncode == 0, first.stderr
    if os.geteuid() != 0 and "missing" in first.stderr:  # a developer's machine: it says how
        assert "as root run: apt-get update && apt-get install -y" in first.stderr
        return
    again = subprocess.run([script], capture_output=True, text=True, timeout=900, check=False)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "host packages: debootstrap chromium present"
    wrong = subprocess.run(
        [script, "firefox"], capture_output=True, text=True, timeout=60, check=False
    )
    assert wrong.returncode == 2
    assert "unknown program 'firefox' (debootstrap, chromium)" in wrong.stderr
