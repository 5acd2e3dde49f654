"""The registry of live local runs: where it lives, what an entry holds, and unreadable entries."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosnet.backends import registry


def test_the_state_dir_is_chosen_by_env_then_xdg_then_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    monkeypatch.delenv("CHAOSNET_STATE_DIR", raising=False)
    assert registry.state_dir() == tmp_path / "home" / ".local" / "state" / "chaosnet"
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert registry.state_dir() == tmp_path / "xdg" / "chaosnet"
    monkeypatch.setenv("CHAOSNET_STATE_DIR", str(tmp_path / "mine"))
    assert registry.state_dir() == tmp_path / "mine"


def test_a_registered_run_is_listed_until_unregistered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHAOSNET_STATE_DIR", str(tmp_path / "state"))
    assert registry.registered() == []
    entry = registry.register(tmp_path / "out" / "run-1")
    (entry.parent / "torn.json").write_text("{not json")
    assert registry.registered() == [(entry, (tmp_path / "out" / "run-1").resolve())]
    registry.unregister(entry)
    registry.unregister(entry)  # twice is fine
    assert registry.registered() == []
