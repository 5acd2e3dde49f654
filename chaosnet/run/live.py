"""What the live display is fed while a run goes: heights, each node's state and partition side,
the latest reorgs, and on attack runs each attacker's share of the honest best chain so far.

States and sides come from `Network`, reorgs from the journal's `reorg` records. Attackers' shares
come from the headers of the honest node with the most work (`GET /headers`: the new ones every
couple of seconds, the whole chain again only after that node reorganised below what was read),
because the journal's block sightings carry no parent and cannot tell a best chain from a fork.
"""

from __future__ import annotations

from typing import Any

import httpx

from chaosnet import httpclient
from chaosnet.backends.base import Backend
from chaosnet.journal import Journal
from chaosnet.observe.observer import NodeView
from chaosnet.plan import Plan
from chaosnet.run.hooks import AttackerShare, Progress, ReorgSeen
from chaosnet.run.network import Network
from reference_node.core.keys import address_of, miner_key

RECENT_REORGS = 3
HEADERS_EVERY = 2.0  # seconds between reads of the best chain's new headers
HEADERS_PAGE = 500


class BestChain:
    """The miner of every block on one node's active chain, read incrementally."""

    def __init__(self) -> None:
        self.hashes: list[str] = []  # index: height
        self.miners: list[str] = []

    def refresh(self, client: httpx.Client, url: str) -> None:
        while True:
            start = len(self.hashes)
            page = client.get(f"{url}/headers", params={"from": start, "count": HEADERS_PAGE})
            headers = page.raise_for_status().json()["headers"]
            if not headers:
                return
            if start and headers[0]["prev"] != self.hashes[-1]:
                self.hashes, self.miners = [], []  # it reorganised below what was read
                continue
            self.hashes += [h["hash"] for h in headers]
            self.miners += [h["miner"] for h in headers]
            if len(headers) < HEADERS_PAGE:
                return


class LiveFeed:
    """Builds each `Progress` from the observer's views, the network and the journal."""

    def __init__(
        self,
        plan: Plan,
        network: Network,
        journal: Journal,
        backend: Backend,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.plan = plan
        self.network = network
        self.journal = journal
        self.backend = backend
        self.transport = transport
        self.attackers = [n.name for n in plan.nodes if n.persona]
        miners = {n.name: n.hashrate for n in plan.nodes if n.mine}
        total = sum(miners.values())
        self.hashrate = {n: h / total for n, h in miners.items()} if total else miners
        self.miner_names = {address_of(miner_key(n)): n for n in plan.node_names}
        self.chain = BestChain()
        self._read_at = -HEADERS_EVERY

    def progress(self, views: dict[str, NodeView], phase: str) -> Progress:
        network = self.network
        heights = {
            n: views[n].height if n in views and network.is_running(n) else None
            for n in self.plan.node_names
        }
        return Progress(
            elapsed=self.journal.now(),
            total=self.plan.scenario.duration,
            heights=heights,
            faults=network.faults_in_force(),
            pending_assertions=len(self.plan.scenario.assertions),
            phase=phase,
            states=dict(network.state),
            slowed=sorted(network.slowed),
            sides=network.partition_sides(),
            partition=network.partition_label(),
            reorgs=self._recent_reorgs(),
            attackers=self._attacker_shares(views),
        )

    def _recent_reorgs(self) -> list[ReorgSeen]:
        records = self.journal.records("reorg")[-RECENT_REORGS:]
        return [ReorgSeen(float(r["seen_t"]), str(r["node"]), int(r["depth"])) for r in records]

    def _attacker_shares(self, views: dict[str, NodeView]) -> list[AttackerShare]:
        if not self.attackers:
            return []
        now = self.journal.now()
        honest = [views[n] for n in self.network.running_honest() if n in views]
        if honest and now - self._read_at >= HEADERS_EVERY:
            self._read_at = now
            best = max(honest, key=lambda v: v.total_work)
            try:
                with httpclient.client(self.transport, timeout=1.0) as client:
                    self.chain.refresh(client, self.backend.endpoint(best.name).url)
            except (httpx.HTTPError, ValueError, KeyError):
                pass  # the display keeps the last tally; the next read tries again
        mined = [self.miner_names.get(m) for m in self.chain.miners[1:]]  # genesis excluded
        personas = self._persona_stats()
        return [
            AttackerShare(
                name,
                mined.count(name),
                len(mined),
                self.hashrate.get(name, 0.0),
                personas.get(name, {}),
            )
            for name in self.attackers
        ]

    def _persona_stats(self) -> dict[str, dict[str, Any]]:
        """Each attacker's latest `persona_stats`, as its last sample journalled them."""
        found: dict[str, dict[str, Any]] = {}
        for r in reversed(self.journal.records("sample")):
            if r["node"] in self.attackers and r["node"] not in found and "persona" in r:
                found[r["node"]] = dict(r["persona"])
                if len(found) == len(self.attackers):
                    break
        return found
