"""Docker tests: images built once per session (slow the first time), everything removed after.

The stand-in image runs tests/integration/backends/stand_in_node.py on top of the node image, so the
isolation and fault tests do not depend on the reference node; the chain test uses the real one.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import docker
from chaosnet.backends.images import NODE_IMAGE, ensure_images

STAND_IN_IMAGE = "chaosnet/stand-in-node:test"
STAND_IN_SCRIPT = Path(__file__).parents[1] / "integration" / "backends" / "stand_in_node.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/docker/" in str(item.fspath):
            item.add_marker(pytest.mark.docker)


@pytest.fixture(autouse=True)
def private_state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`chaosnet down --all` in these tests must never see the local runs of anyone else."""
    state = tmp_path / "state"
    monkeypatch.setenv("CHAOSNET_STATE_DIR", str(state))
    return state


@pytest.fixture(scope="session")
def stand_in_image(images: None) -> str:
    return STAND_IN_IMAGE


@pytest.fixture(scope="session")
def images() -> Iterator[None]:
    try:
        client = docker.from_env(timeout=10)
        client.ping()
    except Exception as exc:
        pytest.skip(f"no Docker engine: {exc}")
    ensure_images(progress=print)
    with tempfile.TemporaryDirectory() as ctx:
        shutil.copy(STAND_IN_SCRIPT, ctx)
        (Path(ctx) / "Dockerfile").write_text(
            f"FROM {NODE_IMAGE}\nLABEL chaosnet=1\nCOPY stand_in_node.py /stand_in_node.py\n"
            'ENTRYPOINT ["python3", "/stand_in_node.py"]\n'
        )
        client.images.build(path=ctx, tag=STAND_IN_IMAGE, labels={"chaosnet": "1"}, rm=True)
    yield
    with contextlib.suppress(docker.errors.ImageNotFound):  # another session may share the tag
        client.images.remove(STAND_IN_IMAGE, force=True)
    client.close()
