"""The protocol every backend implements; faults always go through it.

The runner never touches processes, containers or Toxiproxy directly: it asks a backend. That is
what lets the same plan run on local processes, Docker, or (later) a virtual-time simulator.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import httpx

from chaosnet.clock import SteppedClock
from chaosnet.specs import ChainSpec, Endpoint, LinkFault, NodeSpec, NodeStats


class Backend(Protocol):
    """Lifecycle: setup → start nodes → faults … → teardown (always, in `finally`)."""

    name: str

    def setup(self, run_dir: Path, chain: ChainSpec, nodes: list[NodeSpec]) -> None:
        """Allocate ports/networks/proxies for every node and every directed link (nothing runs yet)."""

    def start_node(self, name: str) -> None:
        """Start (or start again after a crash) the node on its own data dir / volume.

        Returns once the node answers `GET /health`; a node that exits or stays silent past the
        backend's start timeout is a `BackendError` quoting the end of its log. A miner starts
        held (`node_args(hold_mining=True)`): the runner says when it begins.
        """

    def start_nodes(self, names: Sequence[str]) -> None:
        """`start_node` for many at once: launch all, then wait for all (much faster at scale)."""

    def stop_node(self, name: str) -> None:
        """Graceful stop (SIGTERM, then SIGKILL after a grace period): a node leaving."""

    def kill_node(self, name: str) -> None:
        """Crash: SIGKILL / container kill. Data on disk stays."""

    def pause_node(self, name: str) -> None:
        """SIGSTOP / container pause."""

    def resume_node(self, name: str) -> None:
        """SIGCONT / container unpause."""

    def is_running(self, name: str) -> bool: ...

    def set_link(self, src: str, dst: str, fault: LinkFault) -> None:
        """Replace the toxics on the directed link src→dst with `fault`."""

    def set_link_enabled(self, src: str, dst: str, enabled: bool) -> None:
        """Cut (partition) or restore the directed link src→dst."""

    def endpoint(self, name: str) -> Endpoint: ...

    def node_names(self) -> list[str]: ...

    def stats(self, name: str) -> NodeStats: ...

    def link_bytes(self) -> dict[tuple[str, str], int]:
        """Bytes carried per directed link since setup (Toxiproxy's `-proxy-metrics` counters)."""

    def collect_logs(self, dest: Path) -> list[Path]:
        """Copy each node's log into `dest`; return the files written."""

    def teardown(self, keep: bool = False) -> None:
        """Stop and remove everything started; safe to call twice.

        `keep` leaves what can be inspected afterwards (docker: containers, networks, volumes,
        removed later by `chaosnet down RUN_ID`); local processes always stop with the run.
        """


@runtime_checkable
class CpuLimiter(Protocol):
    """Optional capability: a CPU quota for a slow node (docker has it, local processes do not).

    The runner checks `isinstance(backend, CpuLimiter)`; a scenario that asks a backend without
    it for a quota is refused before the run starts (`refusals`), never run without it.
    """

    def set_cpu(self, name: str, fraction: float | None) -> None:
        """Limit the node to `fraction` of one CPU (None lifts the limit)."""


@runtime_checkable
class InProcess(Protocol):
    """Optional capability: nodes living in this process on virtual time (sim).

    The runner then reads time from `clock` and drives its observer and load generator as steps
    of it, and reaches the nodes' APIs through `transport`.
    """

    clock: SteppedClock

    @property
    def transport(self) -> httpx.BaseTransport: ...
