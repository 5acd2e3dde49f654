"""Real run directories for the report tests, each made ONCE per test session by running the
tiny scenario beside this file (about 20 s each), and a headless Chromium for the browser test."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.runs import chaosnet, only_run_dir

TINY = Path(__file__).with_name("tiny.yaml")
CHROMIUM = "/usr/bin/chromium"


def _run_tiny(out: Path) -> Path:
    proc = chaosnet("run", str(TINY), "--out", str(out), cwd=out, timeout=180)
    run_dir = only_run_dir(out)
    assert proc.returncode in (0, 1), f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert (run_dir / "results.json").exists()
    return run_dir


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished real run of tiny.yaml. Tests must not change it: copy it with `run_copy`."""
    return _run_tiny(tmp_path_factory.mktemp("tiny-a"))


@pytest.fixture(scope="session")
def tiny_run_again(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second real run of tiny.yaml with the same seed."""
    return _run_tiny(tmp_path_factory.mktemp("tiny-b"))


@pytest.fixture
def run_copy(tiny_run: Path, tmp_path: Path) -> Callable[[], Path]:
    """A fresh copy of the tiny run (without the nodes' data dirs) to damage or edit."""

    def copy() -> Path:
        target = tmp_path / f"copy-{len(list(tmp_path.iterdir()))}" / tiny_run.name
        shutil.copytree(tiny_run, target, ignore=shutil.ignore_patterns("nodes"))
        return target

    return copy


def ensure_chromium() -> str:
    """Debian's chromium: installed with apt-get when missing and we are root; otherwise a clear
    failure in CI and a skip on a developer's machine."""
    found = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if found:
        return found
    why = "Debian's chromium is not installed (apt-get install -y chromium, as root)"
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium"]):
            proc = subprocess.run(
                cmd, capture_output=True, text=True, env=env, timeout=900, check=False
            )
            if proc.returncode != 0:
                why = f"`{' '.join(cmd)}` failed: {proc.stderr[-500:]}"
                break
        found = shutil.which("chromium")
        if found:
            return found
    if os.environ.get("CI"):
        pytest.fail(f"the browser test needs Chromium in CI: {why}")
    pytest.skip(why)


@pytest.fixture(scope="session")
def chromium() -> str:
    return ensure_chromium()
