"""The node under the faults chaosnet injects: real node processes behind a real toxiproxy-server.

Uses the runner's own local backend (one proxy per directed link, loss = `reset_peer` with a
toxicity, partition = proxies disabled), so what passes here is what a scenario run sees:
  * a healed partition converges within a few seconds;
  * 5% loss on every link still carries every block and every transaction, without peer churn;
  * a SIGKILLed node restarted on its data dir catches up within a few seconds.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from chaosnet import tools
from chaosnet.backends.local import LocalBackend
from chaosnet.faults.toxiproxy import ToxiproxyClient
from chaosnet.specs import ChainSpec, LinkFault, NodeSpec
from reference_node.core.keys import account_address, account_key
from reference_node.core.tx import make_transfer
from tests.runs import start_mining

pytestmark = [pytest.mark.timeout(90)]

if tools.toxiproxy_server() is None:  # pragma: no cover - the dev image has it
    pytestmark.append(pytest.mark.skip(reason="toxiproxy-server is not installed"))

CHAIN = ChainSpec(difficulty=8, block_interval=1.0, mining="simulated", genesis_accounts=20, seed=3)


class Net:
    def __init__(self, backend: LocalBackend, names: list[str], run_dir: Path) -> None:
        self.backend = backend
        self.names = names
        self.run_dir = run_dir
        self.http = httpx.Client(timeout=2.0)

    def url(self, name: str) -> str:
        return self.backend.endpoint(name).url

    def status(self, name: str) -> dict[str, Any]:
        return dict(self.http.get(self.url(name) + "/status").json())

    def statuses(self, names: list[str] | None = None) -> list[dict[str, Any]]:
        return [self.status(n) for n in names or self.names]

    def same_tip(self, names: list[str] | None = None, min_height: int = 0) -> bool:
        statuses = self.statuses(names)
        return len({s["tip"] for s in statuses}) == 1 and statuses[0]["height"] >= min_height

    def links_between(self, a: list[str], b: list[str]) -> list[tuple[str, str]]:
        return [(x, y) for x in a for y in b] + [(y, x) for x in a for y in b]

    def log_count(self, needle: str) -> int:
        return sum(
            (self.run_dir / "nodes" / n / "node.log").read_text(errors="replace").count(needle)
            for n in self.names
        )


def poll(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> float:
    """Seconds until `predicate` held; fails naming `what` after `timeout`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        with contextlib.suppress(httpx.HTTPError):
            if predicate():
                return time.monotonic() - start
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture
def network(tmp_path: Path) -> Iterator[Callable[..., Net]]:
    backends: list[LocalBackend] = []

    def _make(count: int, miners: int, fault: LinkFault | None = None) -> Net:
        names = [f"n{i + 1}" for i in range(count)]
        specs = [
            NodeSpec(
                name,
                tuple(n for n in names if n != name),
                mine=i < miners,
                hashrate=1.0 / miners if i < miners else 0.0,
            )
            for i, name in enumerate(names)
        ]
        backend = LocalBackend(start_timeout=30)
        backends.append(backend)
        backend.setup(tmp_path / "run", CHAIN, specs)
        if fault is not None:
            for a in names:
                for b in names:
                    if a != b:
                        backend.set_link(a, b, fault)
        backend.start_nodes(names)
        net = Net(backend, names, tmp_path / "run")
        poll(
            lambda: all(len(s["peers"]) == count - 1 for s in net.statuses()),
            15,
            "a full mesh of peers",
        )
        start_mining(backend, *names[:miners])
        return net

    yield _make
    for backend in backends:
        backend.teardown()


def test_a_healed_partition_converges_within_seconds(network: Callable[..., Net]) -> None:
    net = network(4, miners=4, fault=LinkFault(latency_ms=20))
    left, right = ["n1", "n2"], ["n3", "n4"]
    poll(lambda: net.same_tip(min_height=2), 20, "a first common chain")
    cut = net.links_between(left, right)
    for a, b in cut:
        net.backend.set_link_enabled(a, b, False)
    poll(
        lambda: (
            net.status("n1")["tip"] != net.status("n3")["tip"]
            and min(s["height"] for s in net.statuses()) >= 5
        ),
        30,
        "the halves to fork",
    )
    time.sleep(2)
    for a, b in cut:
        net.backend.set_link_enabled(a, b, True)
    took = poll(lambda: net.same_tip(), 15, "one tip after the heal", interval=0.05)
    # median 0.9 s (bench/test-timings.md); a bound of 10x it holds on a loaded CI machine
    assert took < 10.0, f"converged {took:.1f}s after the heal"
    assert any(s["height"] >= 5 for s in net.statuses())


def test_five_percent_loss_still_carries_blocks_and_txs_without_churn(
    network: Callable[..., Net],
) -> None:
    net = network(4, miners=2, fault=LinkFault(latency_ms=10, loss=0.05))
    lossy = _loss_by_link(net)
    assert lossy and set(lossy.values()) == {0.05}, f"the loss toxic is not on every link: {lossy}"
    txids = []
    for i in range(40):
        tx = make_transfer(account_key(i % 10), account_address(11), 1, 1, i // 10)
        target = net.names[(i % 10) % 4]
        answer = net.http.post(net.url(target) + "/tx", json=tx.to_json())
        assert answer.status_code == 202, answer.text
        txids.append(tx.txid)

    def all_confirmed() -> bool:
        for name in net.names:
            for txid in txids:
                found = net.http.get(f"{net.url(name)}/tx/{txid}")
                if found.status_code != 200 or found.json()["confirmations"] < 1:
                    return False
        return True

    poll(all_confirmed, 45, "every tx confirmed on every node", interval=0.5)
    poll(lambda: net.same_tip(min_height=4), 20, "one tip at height >= 4")
    churn = net.log_count("disconnected")
    assert churn <= 1, f"{churn} peer disconnections under 5% loss"
    carried = net.backend.link_bytes()
    assert all(carried.values()), f"a link carried nothing, so its loss was never met: {carried}"


def _loss_by_link(net: Net) -> dict[str, float]:
    """The loss in force on each link, read back from Toxiproxy itself."""
    server = net.backend._server  # the test reads what the backend made, not what it meant
    assert server is not None
    with ToxiproxyClient(server.api_url) as client:
        return {
            name: toxic.toxicity
            for name, proxy in client.proxies().items()
            for toxic in proxy.toxics
            if toxic.type == "reset_peer"
        }


def test_a_killed_node_restarts_and_catches_up(network: Callable[..., Net]) -> None:
    net = network(3, miners=2, fault=LinkFault(latency_ms=10))
    poll(lambda: net.same_tip(min_height=2), 20, "a first common chain")
    net.backend.kill_node("n3")
    before = net.status("n1")["height"]
    poll(lambda: net.status("n1")["height"] >= before + 3, 20, "the others to move on")
    net.backend.start_node("n3")
    target = net.status("n1")["height"]
    took = poll(lambda: net.status("n3")["height"] >= target, 10, "n3 to catch up")
    assert took < 6.0, f"n3 caught up {took:.1f}s after it answered /health"  # median 0.55 s
    poll(lambda: net.same_tip(), 10, "one tip again")
