"""Peer links as Toxiproxy proxies, the part every backend shares: one proxy per directed link,
named `a->b`, whatever runs the nodes and the proxy server."""

from __future__ import annotations

from typing import Any

from chaosnet.errors import BackendError
from chaosnet.faults.toxiproxy import ToxiproxyClient
from chaosnet.specs import LinkFault


def link_name(src: str, dst: str) -> str:
    return f"{src}->{dst}"


class ToxiproxyLinks:
    """Mixed into a backend that fills `_proxies` (directed link → proxy port) and `_client`."""

    name: str
    _client: ToxiproxyClient | None
    _proxies: dict[tuple[str, str], int]
    _nodes: dict[str, Any]

    def set_link(self, src: str, dst: str, fault: LinkFault) -> None:
        self._need_client().set_fault(self._link(src, dst), fault)

    def set_link_enabled(self, src: str, dst: str, enabled: bool) -> None:
        self._need_client().set_enabled(self._link(src, dst), enabled)

    def link_bytes(self) -> dict[tuple[str, str], int]:
        carried = self._need_client().link_bytes()
        return {pair: carried.get(link_name(*pair), 0) for pair in self._proxies}

    def _link(self, src: str, dst: str) -> str:
        if (src, dst) not in self._proxies:
            raise BackendError(f"no link {src}->{dst}; nodes are {sorted(self._nodes)}")
        return link_name(src, dst)

    def _need_client(self) -> ToxiproxyClient:
        if self._client is None:
            raise BackendError(f"the {self.name} backend is not set up (call setup first)")
        return self._client
