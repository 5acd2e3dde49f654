"""A network larger than the backend can hold is refused at `nodes.count`, before anything runs;
the simulator takes the schema's whole range."""

from __future__ import annotations

import pytest

from chaosnet.backends.capacity import MAX_NODES, refuse_oversized
from chaosnet.errors import ScenarioError

TEXT = """\
apiVersion: chaosnet/v1
name: big
duration: 10s
nodes:
  count: {count}
"""


@pytest.mark.parametrize("backend", ["local", "docker"])
def test_more_nodes_than_a_process_backend_holds_is_refused_where_written(backend: str) -> None:
    limit = MAX_NODES[backend]
    refuse_oversized(TEXT.format(count=limit), "big.yaml", backend)
    with pytest.raises(ScenarioError) as refused:
        refuse_oversized(TEXT.format(count=limit + 1), "big.yaml", backend)
    assert str(refused.value).startswith(f"big.yaml:5:10: {limit + 1} nodes is more than")


def test_the_simulator_takes_the_schemas_whole_range() -> None:
    refuse_oversized(TEXT.format(count=200), "big.yaml", "sim")
