"""A persona's identities on sim: doors of its node, behind that node's links (`sim/doors.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chaosnet.backends.sim import SimBackend
from chaosnet.backends.sim.links import NodeTransport
from chaosnet.specs import ChainSpec, LinkFault, NodeSpec
from reference_node.behaviors.identities import StalePeer
from reference_node.behaviors.listen import Door, Reply


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimBackend]:
    backend = SimBackend()
    nodes = [NodeSpec("n1", ("eve",)), NodeSpec("eve", ("n1",))]
    backend.setup(tmp_path, ChainSpec(difficulty=4, genesis_accounts=4, seed=3), nodes)
    backend.start_nodes(["n1", "eve"])
    yield backend
    backend.teardown()


def open_door(sim: SimBackend, reply: Reply | None) -> Door:
    """A door opened through eve's own port, as its persona opens one."""
    return sim.world.run(sim.world.apps["eve"].wire.listen(reply), "eve")


def handshake(sim: SimBackend, door: Door, timeout: float = 5.0) -> tuple[str, float]:
    """n1 posts a handshake to `door`: the outcome (status or error) and the virtual seconds."""
    transport = NodeTransport(sim._need_layer(), "n1")

    async def once() -> str:
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            try:
                answer = await client.post(f"http://{door.address}/p2p/handshake", json={})
            except httpx.HTTPError as exc:
                return type(exc).__name__
            return f"{answer.status_code} {answer.json().get('node_id')}"

    started = sim.world.now()
    outcome = sim.world.run(once(), "n1")
    return outcome, round(sim.world.now() - started, 6)


def stale(sim: SimBackend, node_id: str) -> Door:
    return open_door(sim, StalePeer(node_id, "", lambda: {"height": 0}).reply)


def test_each_identity_has_its_own_address_and_answers_across_its_nodes_link(
    sim: SimBackend,
) -> None:
    first, second = stale(sim, "eve~0"), stale(sim, "eve~1")
    assert first.address != second.address
    sim.set_link("n1", "eve", LinkFault(latency_ms=250))
    assert handshake(sim, second) == ("200 eve~1", 0.25)


def test_a_hang_up_identity_resets_the_connection(sim: SimBackend) -> None:
    assert handshake(sim, open_door(sim, None)) == ("ReadError", 0)


def test_partition_pause_crash_and_close_reach_the_identities_too(sim: SimBackend) -> None:
    door = stale(sim, "eve~0")
    sim.set_link_enabled("n1", "eve", False)
    assert handshake(sim, door) == ("ConnectError", 0)
    sim.set_link_enabled("n1", "eve", True)
    sim.pause_node("eve")
    assert handshake(sim, door, timeout=2.0) == ("ReadTimeout", 2.0)
    sim.resume_node("eve")
    assert handshake(sim, door) == ("200 eve~0", 0)
    door.close()
    assert handshake(sim, door) == ("ConnectError", 0)
    again = stale(sim, "eve~1")
    sim.kill_node("eve")
    assert handshake(sim, again) == ("ConnectError", 0)
