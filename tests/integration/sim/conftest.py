from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def out(tmp_path: Path) -> Path:
    path = tmp_path / "runs"
    path.mkdir()
    return path
