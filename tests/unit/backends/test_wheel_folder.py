"""Where an offline image build takes its wheels from (`images.wheel_folder`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosnet.backends.images import wheel_folder


def folder(tmp_path: Path, name: str, wheels: int) -> Path:
    path = tmp_path / name
    path.mkdir()
    for i in range(wheels):
        (path / f"pkg{i}-1.0-py3-none-any.whl").write_bytes(b"")
    return path


def test_an_empty_find_links_folder_is_passed_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """This machine's pip points at an empty /opt/wheels: building from it failed inside pip
    ("no matching distribution found for hatchling") instead of naming the missing wheels."""
    empty, full = folder(tmp_path, "empty", 0), folder(tmp_path, "full", 2)
    monkeypatch.delenv("CHAOSNET_WHEELS", raising=False)
    monkeypatch.setenv("PIP_FIND_LINKS", f"{empty} {full}")
    assert wheel_folder() == full
    monkeypatch.setenv("PIP_FIND_LINKS", str(empty))
    assert wheel_folder() is None


def test_chaosnet_wheels_comes_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    own, pips = folder(tmp_path, "own", 1), folder(tmp_path, "pips", 1)
    monkeypatch.setenv("CHAOSNET_WHEELS", str(own))
    monkeypatch.setenv("PIP_FIND_LINKS", str(pips))
    assert wheel_folder() == own
