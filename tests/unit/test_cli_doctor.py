"""`chaosnet --help/--version/doctor` as a user runs them: a real subprocess, real environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import chaosnet

CHAOSNET = [sys.executable, "-c", "from chaosnet.cli import main; main()"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [*CHAOSNET, *args], capture_output=True, text=True, env=full_env, timeout=60, check=False
    )


def test_version_prints_the_package_version() -> None:
    out = run("--version")
    assert out.returncode == 0
    assert out.stdout.strip() == f"chaosnet {chaosnet.__version__}"


def test_help_lists_doctor_and_exit_codes() -> None:
    out = run("--help")
    assert out.returncode == 0
    assert "doctor" in out.stdout
    assert "Exit codes" in out.stdout


def test_unknown_command_is_a_usage_error() -> None:
    assert run("no-such-command").returncode == 2


def test_doctor_reports_missing_toxiproxy_with_the_fix(tmp_path: Path) -> None:
    out = run("doctor", env={"CHAOSNET_TOXIPROXY": str(tmp_path / "absent")})
    assert out.returncode == 1
    assert "toxiproxy-server" in out.stdout
    assert "missing" in out.stdout
    assert "make install" in out.stdout
    assert "backend local: NOT usable" in out.stdout


def test_doctor_reports_an_unreachable_docker_engine(tmp_path: Path) -> None:
    out = run("doctor", env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"})
    assert "Docker engine" in out.stdout
    assert "unreachable" in out.stdout
    assert "backend docker: NOT usable" in out.stdout
    # the default backend does not need Docker, so doctor still passes when Toxiproxy is there
    assert out.returncode == 0, out.stdout


def test_doctor_passes_when_the_local_backend_is_usable() -> None:
    out = run("doctor")
    assert out.returncode == 0, out.stdout
    assert "backend local: usable" in out.stdout
