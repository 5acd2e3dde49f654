"""The link layer between two real nodes: Toxiproxy's semantics in virtual time."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from chaosnet.backends.sim import SimBackend
from chaosnet.backends.sim.backend import GC_THRESHOLDS
from chaosnet.backends.sim.links import (
    JSON_HEADERS,
    Answer,
    Message,
    NodeTransport,
    polled_read,
    serve_asgi,
)
from chaosnet.specs import ChainSpec, LinkFault, NodeSpec
from reference_node.core.keys import account_address, account_key
from reference_node.core.tx import make_transfer


@pytest.fixture
def sim(tmp_path: Path) -> Iterator[SimBackend]:
    backend = SimBackend()
    nodes = [NodeSpec("n1", ("n2",)), NodeSpec("n2", ("n1",))]
    backend.setup(tmp_path, ChainSpec(difficulty=4, genesis_accounts=4, seed=3), nodes)
    backend.start_nodes(["n1", "n2"])
    yield backend
    backend.teardown()


def ask(
    sim: SimBackend, timeout: float = 5.0, dst: str = "n2", host: str | None = None
) -> tuple[str, float]:
    """n1 asks `dst`'s /health (or `host`'s) across their link: the outcome and the virtual
    seconds it took."""
    world = sim.world
    transport = NodeTransport(sim._need_layer(), "n1")
    url = f"http://{host}/health" if host else f"{sim.endpoint(dst).url}/health"

    async def once() -> str:
        async with httpx.AsyncClient(transport=transport, timeout=timeout) as client:
            try:
                answer = await client.get(url)
            except httpx.HTTPError as exc:
                return type(exc).__name__
            return str(answer.status_code)

    started = world.now()
    outcome = world.run(once(), "n1")
    return outcome, round(world.now() - started, 6)


def test_latency_delays_the_request_once(sim: SimBackend) -> None:
    sim.set_link("n1", "n2", LinkFault(latency_ms=250))
    assert ask(sim) == ("200", 0.25)


def test_a_node_reaches_its_own_address_over_loopback_not_a_link(sim: SimBackend) -> None:
    """A persona dials its own identities' addresses as it learns them; over TCP that is the
    loopback, so no link's latency or cut applies (there was no n1->n1 link: a harness error)."""
    sim.set_link("n1", "n2", LinkFault(latency_ms=250))
    sim.set_link_enabled("n1", "n2", False)
    assert ask(sim, dst="n1") == ("200", 0)


def test_a_cut_link_and_a_crashed_node_refuse_the_connection(sim: SimBackend) -> None:
    sim.set_link_enabled("n1", "n2", False)
    assert ask(sim) == ("ConnectError", 0)
    sim.set_link_enabled("n1", "n2", True)
    sim.kill_node("n2")
    assert ask(sim) == ("ConnectError", 0)
    sim.start_node("n2")  # a new node from the same store
    assert ask(sim) == ("200", 0)


def test_a_paused_node_times_the_caller_out(sim: SimBackend) -> None:
    sim.pause_node("n2")
    assert ask(sim, timeout=2.0) == ("ReadTimeout", 2.0)
    sim.resume_node("n2")
    assert ask(sim) == ("200", 0)


def test_loss_is_drawn_per_message_from_the_seed(sim: SimBackend, tmp_path: Path) -> None:
    sim.set_link("n1", "n2", LinkFault(loss=0.5))
    outcomes = [ask(sim)[0] for _ in range(40)]
    assert 10 < outcomes.count("ReadError") < 30
    assert set(outcomes) == {"200", "ReadError"}


def test_bandwidth_costs_the_answer_its_size(sim: SimBackend) -> None:
    sim.set_link("n1", "n2", LinkFault(bandwidth_kbps=1))
    outcome, seconds = ask(sim)
    assert outcome == "200" and seconds == pytest.approx(len(b'{"ok":true}') / 1000)


def test_the_runners_direct_read_answers_as_its_requests_do(sim: SimBackend) -> None:
    """The observer's door (`RunnerTransport.read`): same bytes as through httpx, same refusals."""
    transport = sim.transport
    url = f"{sim.endpoint('n2').url}/tx/{'0' * 64}"  # a read the node's FastAPI app answers
    with httpx.Client(transport=transport) as client:
        over_httpx = client.get(url)
        assert over_httpx.status_code == 404
        assert transport.read(url) == (404, over_httpx.content)
        events = f"{sim.endpoint('n1').url}/events?since=0"
        assert transport.read(events) == (200, client.get(events).content)
        batch, body = f"{sim.endpoint('n1').url}/p2p/tx", b'{"txs":[{"amount":1}]}'
        refused = client.post(batch, content=body, headers={"content-type": "application/json"})
        assert refused.status_code == 400
        assert transport.post(batch, body) == (400, refused.content)  # the load's door
    sim.pause_node("n2")
    with pytest.raises(httpx.ReadTimeout):
        transport.read(url)
    sim.resume_node("n2")
    sim.kill_node("n2")
    with pytest.raises(httpx.ConnectError):
        transport.read(url)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/blocks/height/0", 200),
        ("/blocks/height/00", 200),
        ("/blocks/height/1", 404),  # above the tip
        ("/blocks/height/\u0660", 400),
        ("/blocks/height/x", 400),
        ("/tx/{pending}", 200),
        (f"/tx/{'0' * 64}", 404),
        ("/tx/xyz", 400),
    ],
)
def test_a_read_through_the_door_is_the_http_apps_answer(
    sim: SimBackend, path: str, expected: int
) -> None:
    """The blocks of the final chain (`/blocks/height/N`) and the payments the observer follows
    (`/tx/ID`) take the door when there is something to give, and leave everything else
    (refusals, what is not there) to the app."""
    app = sim.world.apps["n1"]
    pending = make_transfer(account_key(0), account_address(1), 5, 1, 0)

    async def submit() -> str:
        return app.node.submit_tx(pending)  # as its own work: admission relays the tx

    sim.world.run(submit(), "n1")
    message = Message("GET", path.format(pending=pending.txid).encode(), [], b"")
    status, _, content = sim.world.run(serve_asgi(app.http, message, "runner"), "n1")
    assert status == expected
    door = polled_read(app, message)
    if status == 200:
        assert door is not None and door[::2] == (status, content)
    else:
        assert door is None


def test_the_runners_control_calls_never_build_a_nodes_routes(sim: SimBackend) -> None:
    """`POST /mining/start` and `/persona/activate` take the node's direct door, as the polled
    reads and the block reads do: building a node's FastAPI routes costs about 0.1 CPU s, which a simulated node
    that the runner only steers and polls never pays."""
    app = sim.world.apps["n2"]  # n1's routes were built for the backend's one check of them
    with httpx.Client(transport=sim.transport) as client:
        url = sim.endpoint("n2").url
        assert client.post(f"{url}/mining/start").json() == {"mining": False, "started": False}
        activated = client.post(f"{url}/persona/activate").json()
        assert activated == {"persona": "honest", "active": True, "activated": False}
        assert client.get(f"{url}/status").status_code == 200
        assert client.get(f"{url}/blocks/height/0").json()["height"] == 0
    assert app.http._build is not None, "the node's routes were built"


def slow_door(sim: SimBackend, seconds: float) -> str:
    """A host of n2 whose handler waits `seconds` of n2's time before it answers: handling that
    goes on past its first step (most handlers answer in one, without a task)."""

    async def respond(message: Message) -> Answer:
        await asyncio.sleep(seconds)
        return 200, JSON_HEADERS, b'{"ok":true}'

    sim._need_layer().open_door("slow.n2.sim", "n2", respond)
    return "slow.n2.sim"


def test_a_handler_that_waits_answers_when_its_wait_is_over(sim: SimBackend) -> None:
    assert ask(sim, host=slow_door(sim, 1.5)) == ("200", 1.5)
    assert ask(sim, timeout=1.0, host=slow_door(sim, 1.5)) == ("ReadTimeout", 1.0)


def test_a_node_that_crashes_while_its_handler_waits_resets_the_caller(sim: SimBackend) -> None:
    host = slow_door(sim, 3.0)
    sim.world.loop.call_later(1.0, sim.kill_node, "n2")
    assert ask(sim, host=host) == ("ReadError", 1.0)


def test_a_world_collects_cycles_rarely_while_it_runs_and_restores_the_thresholds(
    tmp_path: Path,
) -> None:
    """A library user's process keeps its own collector settings after a simulated run."""
    before = gc.get_threshold()
    backend = SimBackend()
    backend.setup(
        tmp_path, ChainSpec(difficulty=4, genesis_accounts=4, seed=3), [NodeSpec("n1", ())]
    )
    assert gc.get_threshold() == GC_THRESHOLDS != before
    backend.teardown()
    assert gc.get_threshold() == before
