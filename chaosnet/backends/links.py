"""Peer links as Toxiproxy proxies, the part every backend shares: one proxy per directed link,
named `a->b`, whatever runs the nodes and the proxy server.

`Links` owns the proxies of a run: which port each directed link listens on, the proxy specs,
each node's `--peers` and dial map, and every fault set on a link — each one checked after it is
applied, because a Toxiproxy answering 200 proves nothing (docs/decisions.md, D14):

    fault           checked by
    toxics          reading the proxy's toxics back: same names, types, streams, toxicity, attributes
    cut             a TCP connect to the proxy's listen port is refused
    restored        a TCP connect to the proxy's listen port is accepted
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

from chaosnet.errors import BackendError, HarnessFault
from chaosnet.faults.toxiproxy import ProxySpec, Toxic, ToxiproxyClient, toxics_for
from chaosnet.specs import LinkFault, NodeSpec

Pair = tuple[str, str]
NodeT = TypeVar("NodeT")
POPULATE_CHUNK = 200
PROBE_TIMEOUT = 1.0


def link_name(src: str, dst: str) -> str:
    return f"{src}->{dst}"


def check_topology(nodes: Sequence[NodeSpec]) -> None:
    """Node names are unique and every neighbour is one of the nodes."""
    names = [n.name for n in nodes]
    if len(set(names)) != len(names):
        raise BackendError(f"node names must be unique, got {names}")
    for spec in nodes:
        unknown = set(spec.neighbours) - set(names)
        if unknown:
            raise BackendError(f"node {spec.name!r} has unknown neighbours {sorted(unknown)}")


class Links:
    """Every directed link between `addresses` (node → the address it advertises, which is also
    its proxies' upstream), each a proxy listening on its own port of one Toxiproxy.

    `listen_host` is where proxies listen inside Toxiproxy, `dial_host` how nodes reach them,
    `probe_host` how this process reaches them to check a cut or a restored link. `upstreams`
    (node → address) replaces a node's advertised address as its proxies' upstream, where
    Toxiproxy should not resolve the advertised name for every connection it carries.
    """

    def __init__(
        self,
        client: ToxiproxyClient,
        addresses: dict[str, str],
        ports: Iterable[int],
        *,
        listen_host: str,
        dial_host: str,
        probe_host: str,
        upstreams: dict[str, str] | None = None,
    ) -> None:
        self.client = client
        self.addresses = dict(addresses)
        self.upstreams = {**self.addresses, **(upstreams or {})}
        self.listen_host, self.dial_host, self.probe_host = listen_host, dial_host, probe_host
        pairs = [(a, b) for a in self.addresses for b in self.addresses if a != b]
        self.ports: dict[Pair, int] = dict(zip(pairs, ports, strict=False))
        if len(self.ports) < len(pairs):
            raise BackendError(f"{len(pairs)} links need as many ports, got {len(self.ports)}")

    def create(self, extra: Sequence[ProxySpec] = ()) -> None:
        """Create every link's proxy (and `extra` ones) in a few bulk calls."""
        specs = [
            ProxySpec(link_name(a, b), f"{self.listen_host}:{port}", self.upstreams[b])
            for (a, b), port in self.ports.items()
        ]
        specs += extra
        for i in range(0, len(specs), POPULATE_CHUNK):
            self.client.populate(specs[i : i + POPULATE_CHUNK])

    def peers(self, spec: NodeSpec) -> list[str]:
        """The `--peers` of a node: its proxies towards its topology neighbours."""
        return [f"{self.dial_host}:{self._port(spec.name, n)}" for n in spec.neighbours]

    def dial_map(self, name: str) -> dict[str, str]:
        """Every other node's advertised address → the proxy `name` must dial instead."""
        return {
            address: f"{self.dial_host}:{self._port(name, other)}"
            for other, address in self.addresses.items()
            if other != name
        }

    def set_fault(self, src: str, dst: str, fault: LinkFault) -> None:
        """Replace the link's toxics with `fault`'s and read them back."""
        proxy = link_name(src, dst)
        self._port(src, dst)
        wanted = toxics_for(fault)
        self.client.set_toxics(proxy, wanted)
        held = self.client.proxy(proxy).toxics
        if _by_name(held) != _by_name(wanted):
            raise HarnessFault(
                f"link {proxy}: Toxiproxy accepted the toxics {_describe(wanted)} but holds "
                f"{_describe(held)}; the fault is not in place"
            )

    def set_enabled(self, src: str, dst: str, enabled: bool) -> None:
        """Cut or restore the link, then check its listen port refuses or accepts a connection."""
        proxy, port = link_name(src, dst), self._port(src, dst)
        self.client.set_enabled(proxy, enabled)
        if self._accepts(proxy, port) != enabled:
            state = (
                "accepts connections although it was cut"
                if not enabled
                else "refuses connections although it was restored"
            )
            raise HarnessFault(
                f"link {proxy}: Toxiproxy answered OK but its proxy at "
                f"{self.probe_host}:{port} {state}"
            )

    def carried(self) -> dict[Pair, int]:
        """Bytes per directed link since its proxy was created."""
        carried = self.client.link_bytes()
        return {pair: carried.get(link_name(*pair), 0) for pair in self.ports}

    def _port(self, src: str, dst: str) -> int:
        try:
            return self.ports[(src, dst)]
        except KeyError:
            raise BackendError(
                f"no link {src}->{dst}; nodes are {sorted(self.addresses)}"
            ) from None

    def _accepts(self, proxy: str, port: int) -> bool:
        try:
            with socket.create_connection((self.probe_host, port), timeout=PROBE_TIMEOUT):
                return True
        except ConnectionRefusedError:
            return False
        except OSError as exc:
            raise HarnessFault(
                f"link {proxy}: cannot check its proxy at {self.probe_host}:{port}: {exc}"
            ) from exc


def _by_name(toxics: Iterable[Toxic]) -> dict[str, tuple[str, str, float, dict[str, int]]]:
    """What must match between the toxics sent and those read back (toxicity at float32 precision)."""
    return {t.name: (t.type, t.stream, round(t.toxicity, 6), dict(t.attributes)) for t in toxics}


def _describe(toxics: Iterable[Toxic]) -> str:
    shown = [f"{t.name}({t.type} {t.stream} p={t.toxicity:g} {t.attributes})" for t in toxics]
    return ", ".join(shown) or "none"


class LinkedNodes(Generic[NodeT]):
    """The part of the `Backend` protocol every backend answers alike: nodes by name, and link
    faults through its `Links` (None until setup)."""

    name: str
    _nodes: dict[str, NodeT]
    _links: Links | None

    def set_link(self, src: str, dst: str, fault: LinkFault) -> None:
        self._need_links().set_fault(src, dst, fault)

    def set_link_enabled(self, src: str, dst: str, enabled: bool) -> None:
        self._need_links().set_enabled(src, dst, enabled)

    def link_bytes(self) -> dict[Pair, int]:
        return self._need_links().carried()

    def node_names(self) -> list[str]:
        return list(self._nodes)

    def _node(self, name: str) -> NodeT:
        try:
            return self._nodes[name]
        except KeyError:
            raise BackendError(f"unknown node {name!r}; nodes are {sorted(self._nodes)}") from None

    def _need_links(self) -> Links:
        if self._links is None:
            raise BackendError(f"the {self.name} backend is not set up (call setup first)")
        return self._links
