"""Prometheus metrics of one node, in a registry of its own (several nodes may share a process)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Metric, generate_latest


class Metrics:
    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.height = Gauge("chaosnet_height", "Height of the active chain tip", registry=r)
        self.peers = Gauge("chaosnet_peers", "Connected peers", registry=r)
        self.blocks_received = Counter(
            "chaosnet_blocks_received", "Valid blocks first seen from peers", registry=r
        )
        self.txs_received = Counter(
            "chaosnet_txs_received", "Transactions admitted to the mempool", registry=r
        )
        self.invalid_messages = Counter(
            "chaosnet_invalid_messages", "Rejected malformed or invalid data", registry=r
        )
        self.reorgs = Counter("chaosnet_reorgs", "Reorganisations of the active chain", registry=r)
        self.reorg_depth_max = Gauge(
            "chaosnet_reorg_depth_max", "Deepest reorganisation so far (blocks)", registry=r
        )
        self.mempool_size = Gauge(
            "chaosnet_mempool_size", "Transactions in the mempool", registry=r
        )
        self.bytes_in = Counter("chaosnet_bytes_in", "HTTP body bytes received", registry=r)
        self.bytes_out = Counter("chaosnet_bytes_out", "HTTP body bytes sent", registry=r)
        self.blocks_mined = Counter("chaosnet_blocks_mined", "Blocks this node mined", registry=r)

    def render(self, names: Sequence[str] = ()) -> bytes:
        """The text exposition; given `names` (`/metrics?name[]=…`, Prometheus' own filter), only
        those series, by name: a poller that wants one counter skips rendering the others."""
        if not names:
            return generate_latest(self.registry)
        return generate_latest(_Only(self.registry, frozenset(names)))


class _Only:
    """The series of `registry` named in `names`, by name (prometheus' `restricted_registry`
    picks only their collectors, but lists them in an order that differs between registries)."""

    def __init__(self, registry: CollectorRegistry, names: Collection[str]) -> None:
        self.registry = registry
        self.names = names

    def collect(self) -> list[Metric]:
        chosen = self.registry.restricted_registry(self.names).collect()
        return sorted(chosen, key=lambda metric: metric.name)
