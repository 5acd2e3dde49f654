"""Fixtures for LocalBackend tests: a backend on stand-in nodes that is always torn down."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chaosnet.backends.local import LocalBackend


@pytest.fixture
def stand_in_backend() -> Iterator[LocalBackend]:
    backend = LocalBackend(
        node_command=[sys.executable, str(Path(__file__).with_name("stand_in_node.py"))],
        start_timeout=20,
    )
    yield backend
    backend.teardown()
