"""A simulation runs no handler in a worker thread: the node's app passes the check, and an app
with a plain `def` handler or dependency is refused, naming it."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import Depends, FastAPI

from chaosnet.backends.sim.threads import refuse_threaded
from chaosnet.errors import BackendError
from reference_node.app import NodeApp
from reference_node.node import NodeConfig


def test_the_reference_nodes_handlers_are_all_coroutines(tmp_path: Path) -> None:
    app = NodeApp(NodeConfig(port=1, data_dir=tmp_path, node_id="n1", difficulty=4))
    refuse_threaded(app.http)
    app.store.close()


def test_a_plain_handler_or_dependency_is_refused_by_name() -> None:
    app = FastAPI()

    def checked() -> None:
        """A plain dependency: FastAPI would run it in a thread."""

    @app.get("/fine", dependencies=[Depends(checked)])
    async def fine() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/slow")
    def slow() -> dict[str, bool]:
        return {"ok": True}

    with pytest.raises(BackendError) as refused:
        refuse_threaded(app)
    assert "GET /fine: checked" in str(refused.value)
    assert "GET /slow: slow" in str(refused.value)
