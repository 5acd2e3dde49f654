"""Fixtures for LocalBackend tests: a backend on stand-in nodes that is always torn down."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaosnet.backends.local import LocalBackend


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The run registry of these tests only: `down --all` here must never see anyone else's runs."""
    state = tmp_path / "state"
    monkeypatch.setenv("CHAOSNET_STATE_DIR", str(state))
    return state


@pytest.fixture
def stand_in_backend() -> Iterator[LocalBackend]:
    backend = LocalBackend(
        node_command=[sys.executable, str(Path(__file__).with_name("stand_in_node.py"))],
        start_timeout=20,
    )
    yield backend
    backend.teardown()
