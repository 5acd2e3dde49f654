"""An in-memory `Backend` for unit tests of the runner's logic: no processes, no sockets.

Nodes answer `/health`, `/status`, `/events`, `/tx`, `/blocks/height/N` and `/balance/ADDR` through
`FakeBackend.transport` (an `httpx.MockTransport` the runner hands to its observer, load generator
and chain fetcher). Every running node holds the same short chain of real blocks, mined at the
plan's low difficulty, so the runner's replay of the final chain validates them for real. Links
only remember what was asked of them. `fail` makes any backend method raise on demand, as a hung
Toxiproxy or a node that cannot start would; `calls` records every call in order.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from chaosnet.errors import BackendError
from chaosnet.specs import ChainSpec, Endpoint, LinkFault, NodeSpec, NodeStats
from reference_node.core.block import Block
from reference_node.core.chain import ChainState, MemorySource
from reference_node.core.keys import address_of, miner_key
from reference_node.core.mining import build_block, solve
from reference_node.core.params import ChainParams

CHAIN_LENGTH = 3


@functools.cache
def fake_chain(difficulty: int, genesis_accounts: int, reward: int) -> tuple[Block, ...]:
    """A few valid blocks on the genesis of these settings, mined by n1."""
    params = ChainParams(difficulty=difficulty, genesis_accounts=genesis_accounts, reward=reward)
    source = MemorySource()
    chain = ChainState(params, source)
    miner = address_of(miner_key("n1"))
    blocks = []
    for k in range(CHAIN_LENGTH):
        now_ms = 1_800_000_000_000 + 1000 * k
        block = solve(build_block(chain, chain.tip, [], miner, now_ms))
        source.record(chain.add_block(block, now_ms))
        blocks.append(block)
    return tuple(blocks)


@dataclass
class FakeNode:
    spec: NodeSpec
    running: bool = False
    paused: bool = False
    events: list[dict[str, Any]] = field(default_factory=list)
    txs: int = 0
    activations: int = 0
    mining_starts: int = 0

    @property
    def name(self) -> str:
        return self.spec.name


class FakeBackend:
    """Implements `chaosnet.backends.base.Backend` in memory; see the module docstring."""

    name = "memory"

    def __init__(self) -> None:
        self.nodes: dict[str, FakeNode] = {}
        self.links: dict[tuple[str, str], LinkFault] = {}
        self.enabled: dict[tuple[str, str], bool] = {}
        self.calls: list[tuple[Any, ...]] = []
        self.torn_down = False
        self.blocks: tuple[Block, ...] = ()
        self._failures: list[tuple[str, Callable[..., bool], Exception]] = []
        self.transport = httpx.MockTransport(self._answer)

    def fail(
        self, method: str, error: Exception, when: Callable[..., bool] = lambda *args: True
    ) -> None:
        """Make `method` raise `error` whenever `when(*its arguments)` holds."""
        self._failures.append((method, when, error))

    def _call(self, method: str, *args: Any) -> None:
        self.calls.append((method, *args))
        for name, when, error in self._failures:
            if name == method and when(*args):
                raise error

    # -- lifecycle ----------------------------------------------------------------------------

    def setup(self, run_dir: Path, chain: ChainSpec, nodes: list[NodeSpec]) -> None:
        self._call("setup")
        self.blocks = fake_chain(chain.difficulty, chain.genesis_accounts, chain.reward)
        for spec in nodes:
            self.add_node(spec)

    def add_node(self, spec: NodeSpec) -> None:
        self.nodes[spec.name] = FakeNode(spec)
        for other in self.nodes:
            if other != spec.name:
                for pair in ((spec.name, other), (other, spec.name)):
                    self.links[pair] = LinkFault()
                    self.enabled[pair] = True

    def start_node(self, name: str) -> None:
        self._call("start_node", name)
        node = self._node(name)
        if node.running:
            raise BackendError(f"node {name!r} is already running")
        node.running, node.paused = True, False
        if not node.events:
            node.events = [_block_event(k, b) for k, b in enumerate(self.blocks)]

    def start_nodes(self, names: Sequence[str]) -> None:
        for name in names:
            self.start_node(name)

    def stop_node(self, name: str) -> None:
        self._call("stop_node", name)
        self._node(name).running = False

    def kill_node(self, name: str) -> None:
        self._call("kill_node", name)
        self._node(name).running = False

    def pause_node(self, name: str) -> None:
        self._call("pause_node", name)
        self._running(name).paused = True

    def resume_node(self, name: str) -> None:
        self._call("resume_node", name)
        self._running(name).paused = False

    def is_running(self, name: str) -> bool:
        return self._node(name).running

    def teardown(self, keep: bool = False) -> None:
        self.calls.append(("teardown", keep))
        self.torn_down = True
        for node in self.nodes.values():
            node.running = False

    # -- links --------------------------------------------------------------------------------

    def set_link(self, src: str, dst: str, fault: LinkFault) -> None:
        self._call("set_link", src, dst, fault)
        self._link(src, dst)
        self.links[(src, dst)] = fault

    def set_link_enabled(self, src: str, dst: str, enabled: bool) -> None:
        self._call("set_link_enabled", src, dst, enabled)
        self._link(src, dst)
        self.enabled[(src, dst)] = enabled

    def link_bytes(self) -> dict[tuple[str, str], int]:
        return {pair: 0 for pair in self.links}

    def cut_links(self) -> set[tuple[str, str]]:
        return {pair for pair, on in self.enabled.items() if not on}

    # -- observation --------------------------------------------------------------------------

    def endpoint(self, name: str) -> Endpoint:
        self._node(name)
        return Endpoint(name, f"http://{name}.fake")

    def node_names(self) -> list[str]:
        return list(self.nodes)

    def stats(self, name: str) -> NodeStats:
        return NodeStats(rss_bytes=50_000_000 if self._node(name).running else None)

    def collect_logs(self, dest: Path) -> list[Path]:
        dest.mkdir(parents=True, exist_ok=True)
        written = []
        for name in self.nodes:
            path = dest / f"{name}.log"
            path.write_text(f"{name}: a fake node has no log\n")
            written.append(path)
        return written

    # -- the nodes' HTTP API ------------------------------------------------------------------

    def _answer(self, request: httpx.Request) -> httpx.Response:
        node = self.nodes.get(request.url.host.removesuffix(".fake"))
        if node is None or not node.running:
            raise httpx.ConnectError("connection refused", request=request)
        if node.paused:
            raise httpx.ReadTimeout("a paused node does not answer", request=request)
        path = request.url.path
        if path == "/health":
            return httpx.Response(200, json={"ok": True})
        if path == "/status":
            return httpx.Response(200, json=self._status(node))
        if path == "/events":
            since = int(request.url.params.get("since", 0))
            return httpx.Response(
                200, json={"next": len(node.events), "events": node.events[since:]}
            )
        if path == "/tx" and request.method == "POST":
            node.txs += 1
            return httpx.Response(202, json={"txid": hashlib.sha256(request.content).hexdigest()})
        if path == "/persona/activate" and request.method == "POST":
            node.activations += 1
            return httpx.Response(200, json={"persona": "fake", "active": True, "activated": True})
        if path == "/mining/start" and request.method == "POST":
            node.mining_starts += 1
            return httpx.Response(200, json={"mining": node.spec.mine, "started": True})
        if path.startswith("/blocks/height/"):
            height = int(path.rsplit("/", 1)[1])
            return httpx.Response(200, json=self.blocks[height - 1].to_json())
        if path.startswith("/balance/"):
            return httpx.Response(200, json={"address": path[9:], "balance": 0, "nonce": 0})
        return httpx.Response(404, json={"error": f"no route {path}"})

    def _status(self, node: FakeNode) -> dict[str, Any]:
        tip = self.blocks[-1]
        return {
            "node_id": node.name,
            "height": len(self.blocks),
            "tip": tip.hash,
            "total_work": len(self.blocks) * 2**tip.header.bits,
            "peers": [{"node_id": n} for n in node.spec.neighbours],
            "mempool_size": 0,
        }

    def _node(self, name: str) -> FakeNode:
        if name not in self.nodes:
            raise BackendError(f"unknown node {name!r}")
        return self.nodes[name]

    def _running(self, name: str) -> FakeNode:
        node = self._node(name)
        if not node.running:
            raise BackendError(f"node {name!r} is not running")
        return node

    def _link(self, src: str, dst: str) -> None:
        if (src, dst) not in self.links:
            raise BackendError(f"no link {src}->{dst}")


def _block_event(index: int, block: Block) -> dict[str, Any]:
    return {
        "seq": index,
        "time": time.time(),
        "kind": "block",
        "hash": block.hash,
        "height": index + 1,
        "source": "peer",
        "miner": block.header.miner,
    }


def journal_of(run_dir: Path) -> list[dict[str, Any]]:
    """The records of a run's events.jsonl, in order."""
    lines = (run_dir / "events.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]
