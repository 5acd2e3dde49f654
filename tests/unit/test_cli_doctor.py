"""`chaosnet --help/--version/doctor` as a user runs them: a real subprocess, real environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import chaosnet
from chaosnet import doctor
from chaosnet.backends import images

CHAOSNET = [sys.executable, "-c", "from chaosnet.cli import main; main()"]


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [*CHAOSNET, *args], capture_output=True, text=True, env=full_env, timeout=180, check=False
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


def test_command_help_flows_as_paragraphs_not_as_the_source_lines() -> None:
    # the docstring breaks this sentence after "a harness"; at 200 columns it is one line
    out = run("run", "--help")
    assert out.returncode == 0
    assert "2 for invalid input or a harness error, 130 when interrupted." in out.stdout


def test_unknown_command_is_a_usage_error() -> None:
    assert run("no-such-command").returncode == 2


def test_doctor_reports_missing_toxiproxy_with_the_fix(tmp_path: Path) -> None:
    out = run("doctor", env={"CHAOSNET_TOXIPROXY": str(tmp_path / "absent")})
    assert out.returncode == 1
    assert "toxiproxy-server" in out.stdout
    assert "missing" in out.stdout
    assert "make install" in out.stdout
    assert "backend local: NOT usable" in out.stdout
    assert "backend sim: usable" in out.stdout  # its links are in-process, not Toxiproxy


def test_doctor_reports_an_unreachable_docker_engine(tmp_path: Path) -> None:
    out = run("doctor", env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"})
    assert "Docker engine" in out.stdout
    assert "unreachable" in out.stdout
    assert "backend docker: NOT usable" in out.stdout
    assert "backend sim: usable" in out.stdout  # one process, no engine, no proxy
    # the default backend does not need Docker, so doctor still passes when Toxiproxy is there
    assert out.returncode == 0, out.stdout


def test_doctor_passes_when_the_local_backend_is_usable() -> None:
    out = run("doctor")
    assert out.returncode == 0, out.stdout
    assert "backend local: usable" in out.stdout


def test_doctor_names_the_debootstrap_fix_when_the_base_image_must_be_built(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A fresh machine with a Docker engine: no offline base image and no debootstrap to build
    it. The docker backend is then not usable, and doctor names the command that fixes it."""
    monkeypatch.setattr(images, "image_present", lambda ref: False)
    monkeypatch.setenv("CHAOSNET_WHEELS", str(tmp_path))  # offline: the base image is needed
    monkeypatch.setenv("PATH", str(tmp_path))  # no debootstrap anywhere
    check = doctor.check_debootstrap(engine_ok=True)
    assert check is not None and not check.ok
    assert check.backend == "docker" and "chaosnet/base:bookworm" in check.detail
    assert "apt-get update && apt-get install -y debootstrap" in check.fix
    assert "scripts/install-host-packages.sh" in check.fix
    assert not doctor.backend_usable([check], "docker")
    assert doctor.backend_usable([check], "local")


def test_doctor_does_not_ask_for_debootstrap_once_the_base_image_exists(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(images, "image_present", lambda ref: ref == images.BASE_IMAGE_OFFLINE)
    monkeypatch.setenv("CHAOSNET_WHEELS", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    assert doctor.check_debootstrap(engine_ok=True) is None
    assert doctor.check_debootstrap(engine_ok=False) is None
