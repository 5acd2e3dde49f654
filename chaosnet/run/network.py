"""The network's state during a run, and the one place timeline actions reach the Backend.

It owns what is up or down, which links are cut, what each link's settings are now and which nodes
are slowed, and journals every change (`partition`, `node_state`). An action that makes no sense in
the current state (crash a node already down) raises `Skipped`. Anything the backend raises while
applying an action is the harness failing, never the network under test: it comes out as a
`HarnessFault` that says what was being done (`cutting n1->n4`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from chaosnet import httpclient
from chaosnet.backends.base import Backend, CpuLimiter
from chaosnet.errors import HarnessFault
from chaosnet.journal import Journal
from chaosnet.observe.metrics import UP_STATES
from chaosnet.plan import (
    CutLinks,
    Pair,
    Plan,
    PlannedAction,
    Resume,
    SetLinks,
    merge_links,
    to_fault,
)
from chaosnet.scenario.model import (
    AttackStart,
    AttackStop,
    Chaos,
    Crash,
    Heal,
    Join,
    Leave,
    LinkChange,
    LinkSettings,
    Pause,
    Restart,
    Wait,
)
from chaosnet.specs import LinkFault


class Skipped(Exception):
    """An action that makes no sense in the network's current state (crash a node already down)."""


@dataclass(frozen=True)
class FollowUp:
    """An action an applied one implies later: the restart after a crash, the end of a pause."""

    suffix: str
    delay: float
    action: PlannedAction


class Network:
    """Nodes' states (the last `node_state` journalled for each) and links' current settings."""

    def __init__(
        self,
        plan: Plan,
        backend: Backend,
        journal: Journal,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        """`transport` reaches the nodes' APIs (the runner's: in memory on sim, in tests)."""
        self.plan = plan
        self.transport = transport
        self.backend = backend
        self.journal = journal
        self.state: dict[str, str] = {}  # node → its last node_state; absent: never started
        self.cut: set[Pair] = set()
        self.link_now: dict[Pair, LinkFault] = {}
        self.slowed: set[str] = set()
        self.attacking: set[str] = set()  # attackers whose `attack: start` was applied
        self._labels: dict[str, str] = {}  # link faults in force, for the progress display

    # -- questions --------------------------------------------------------------------------

    def is_running(self, node: str) -> bool:
        return self.state.get(node) in UP_STATES

    def running(self) -> list[str]:
        return [n for n in self.plan.node_names if self.is_running(n)]

    def running_honest(self) -> list[str]:
        return [n for n in self.plan.honest if self.is_running(n)]

    def faults_in_force(self) -> list[str]:
        """For the progress display; asked from the observer's thread, hence the copies."""
        down = [f"{n} {s}" for n, s in list(self.state.items()) if s not in UP_STATES]
        slow = [f"{n} slow" for n in sorted(list(self.slowed))]
        return [*list(self._labels.values()), *slow, *down]

    def partition_label(self) -> str | None:
        return self._labels.get("partition")

    def partition_sides(self) -> list[list[str]]:
        """For the progress display: groups of nodes that still reach each other, when the cut
        links split the network into such groups (explicit groups, halves, one node isolated);
        [] when nothing is cut or no clean sides exist (a ring, halves joined by a bridge)."""
        cut = set(self.cut)
        if not cut:
            return []
        sides: list[list[str]] = []
        for node in self.plan.node_names:
            reached = [s for s in sides if any(not _cut_between(cut, node, o) for o in s)]
            if not reached:
                sides.append([node])
            elif len(reached) == 1 and not any(_cut_between(cut, node, o) for o in reached[0]):
                reached[0].append(node)
            else:
                return []  # it reaches part of a side, or two sides: no clean sides
        return sides if len(sides) > 1 else []

    # -- before the timeline ----------------------------------------------------------------

    def start_all(self) -> None:
        """Start every starting node and wait for all (the caller then starts the clock)."""
        with self._doing(f"starting {', '.join(self.plan.starting)}"):
            self.backend.start_nodes(list(self.plan.starting))

    def start_mining_all(self) -> None:
        """Time zero: the starting miners begin (the backends start them held, `node_args`)."""
        self._start_mining(*self.plan.starting)

    def mark_all_started(self) -> None:
        for name in self.plan.starting:
            self._mark(name, "started")

    def apply_link_defaults(self) -> None:
        for pair, fault in self.plan.link_defaults.items():
            if fault == LinkFault():
                self.link_now[pair] = fault
            else:
                self._set_link(pair, fault)

    # -- actions ----------------------------------------------------------------------------

    def apply(self, action: PlannedAction) -> FollowUp | None:
        """Apply one timeline action; raises `Skipped`, or `HarnessFault` when the backend fails."""
        return _HANDLERS[type(action)](self, action)

    def _cut(self, action: CutLinks) -> None:
        for a, c in action.pairs:
            if (a, c) not in self.cut:
                self._set_enabled(a, c, False)
                self._set_enabled(c, a, False)
                self.cut.add((a, c))
        self._labels["partition"] = action.label
        self.journal.record("partition", state="start", label=action.label)

    def _heal(self, action: Heal) -> None:
        for a, c in sorted(self.cut):
            self._set_enabled(a, c, True)
            self._set_enabled(c, a, True)
            self.cut.discard((a, c))
        self._labels.pop("partition", None)
        self.journal.record("partition", state="end")

    def _change_links(self, action: LinkChange) -> None:
        for pair in self._links_touching(action.nodes):
            base = self.plan.link_defaults[pair]
            now = self.link_now.get(pair, base)
            self._set_link(pair, base if action.reset else _merge_fault(now, action.settings))
        if action.reset:
            self._labels.pop("links", None)
        else:
            self._labels["links"] = f"links of {','.join(action.nodes) or 'all'} changed"

    def _set_links(self, action: SetLinks) -> None:
        for pair, chosen in action.links:
            base = self.plan.link_defaults[pair]
            self._set_link(pair, base if chosen is None else _merge_fault(base, chosen))
        if all(chosen is None for _, chosen in action.links):
            self._labels.pop("chaos loss", None)
        else:
            self._labels["chaos loss"] = f"lossy links ({len(action.links)})"

    def _crash(self, action: Crash) -> FollowUp | None:
        node = action.node
        if not self.is_running(node):
            raise Skipped(f"{node} is already down")
        with self._doing(f"crashing {node}"):
            self.backend.kill_node(node)
        self._mark(node, "crashed")
        return (
            FollowUp("restart", action.restart_after, Restart(node))
            if action.restart_after
            else None
        )

    def _restart(self, action: Restart) -> None:
        node = action.node
        if self.state.get(node) not in ("crashed", "stopped"):
            raise Skipped(f"{node} is {self._describe(node)}")
        with self._doing(f"restarting {node}"):
            self.backend.start_node(node)
        self._start_mining(node)  # it comes back held, as it was started
        if node in self.attacking:  # and dormant
            self._activate(node)
        self._mark(node, "restarted")

    def _pause(self, action: Pause) -> FollowUp | None:
        node = action.node
        if action.slow is not None or action.cpu is not None:
            self._slow_down(node, action.slow, action.cpu)
        else:
            if not self.is_running(node):
                raise Skipped(f"{node} is {self._describe(node)}")
            with self._doing(f"pausing {node}"):
                self.backend.pause_node(node)
            self._mark(node, "paused")
        return FollowUp("resume", action.duration, Resume(node)) if action.duration else None

    def _resume(self, action: Resume) -> None:
        node = action.node
        if node in self.slowed:
            self._restore_speed(node)
            return
        if self.state.get(node) != "paused":
            raise Skipped(f"{node} is not paused ({self._describe(node)})")
        with self._doing(f"resuming {node}"):
            self.backend.resume_node(node)
        self._mark(node, "resumed")

    def _start(self, node: str, state: str) -> None:
        """A node that joins runs from now on."""
        if self.is_running(node):
            raise Skipped(f"{node} is already running")
        with self._doing(f"starting {node} ({state})"):
            self.backend.start_node(node)
        self._start_mining(node)
        self._mark(node, state)

    def _stop(self, node: str, state: str) -> None:
        if not self.is_running(node) and self.state.get(node) != "paused":
            raise Skipped(f"{node} is {self._describe(node)}")
        with self._doing(f"stopping {node} ({state})"):
            self.backend.stop_node(node)
        self._mark(node, state)

    def _join(self, action: Join) -> None:
        self._start(action.node, "joined")

    def _leave(self, action: Leave) -> None:
        self._stop(action.node, "stopped")

    def _attack_start(self, action: AttackStart) -> None:
        """The attacker has run honestly so far (dormant); its persona starts now. One that an
        earlier `attack: stop` stopped is started first."""
        node = action.attacker
        if node in self.attacking:
            raise Skipped(f"{node}'s attack is already running")
        if not self.is_running(node):
            with self._doing(f"starting {node}"):
                self.backend.start_node(node)
            self._start_mining(node)
        self._activate(node)
        self.attacking.add(node)
        self._mark(node, "attack started")

    def _attack_stop(self, action: AttackStop) -> None:
        self._stop(action.attacker, "attack stopped")
        self.attacking.discard(action.attacker)

    def _activate(self, node: str) -> None:
        """`POST /persona/activate` on the attacker; its answer must say the persona runs."""
        self._steer(
            [node],
            "/persona/activate",
            "active",
            "did not activate its persona",
            doing=f"activating {node}'s persona",
        )

    def _start_mining(self, *nodes: str) -> None:
        """`POST /mining/start` on each of `nodes` that mines; its answer must say it mines."""
        miners = [spec.name for spec in self.plan.nodes if spec.mine and spec.name in nodes]
        if miners:
            self._steer(
                miners,
                "/mining/start",
                "mining",
                "did not start mining",
                doing=f"starting mining on {', '.join(miners)}",
            )

    def _steer(self, nodes: list[str], path: str, flag: str, failed: str, *, doing: str) -> None:
        """`POST path` on each node, one client for all; an answer without `flag: true` is the
        harness failing (`failed` says how), as is any error reaching the node."""
        with self._doing(doing), httpclient.client(self.transport, timeout=5.0) as client:
            for node in nodes:
                answer = client.post(f"{self.backend.endpoint(node).url}{path}")
                answer.raise_for_status()
                if answer.json().get(flag) is not True:
                    raise RuntimeError(f"{node} {failed}: {answer.text}")

    def _anchor(self, action: Chaos | Wait) -> None:
        """Chaos and Wait only anchor other events: nothing to apply."""

    # -- slow nodes -------------------------------------------------------------------------

    def _slow_down(self, node: str, slow: LinkSettings | None, cpu: float | None) -> None:
        """Latency/bandwidth on every link of the node, and a CPU quota where the backend has one."""
        if slow is not None:
            for pair in self._links_touching((node,)):
                self._set_link(pair, _merge_fault(self.link_now[pair], slow))
        if cpu is not None and isinstance(self.backend, CpuLimiter):
            with self._doing(f"limiting {node} to {cpu:g} CPU"):
                self.backend.set_cpu(node, cpu)
        self.slowed.add(node)

    def _restore_speed(self, node: str) -> None:
        for pair in self._links_touching((node,)):
            self._set_link(pair, self.plan.link_defaults[pair])
        if isinstance(self.backend, CpuLimiter):
            with self._doing(f"lifting the CPU limit of {node}"):
                self.backend.set_cpu(node, None)
        self.slowed.discard(node)

    # -- helpers ----------------------------------------------------------------------------

    def _links_touching(self, nodes: tuple[str, ...]) -> list[Pair]:
        pairs = self.plan.link_defaults.keys()
        return [p for p in pairs if not nodes or p[0] in nodes or p[1] in nodes]

    def _set_link(self, pair: Pair, fault: LinkFault) -> None:
        with self._doing(f"setting {pair[0]}->{pair[1]} to {describe_fault(fault)}"):
            self.backend.set_link(pair[0], pair[1], fault)
        self.link_now[pair] = fault

    def _set_enabled(self, src: str, dst: str, enabled: bool) -> None:
        with self._doing(f"{'restoring' if enabled else 'cutting'} {src}->{dst}"):
            self.backend.set_link_enabled(src, dst, enabled)

    def _mark(self, node: str, state: str) -> None:
        self.state[node] = state
        self.journal.record("node_state", node=node, state=state)

    def _describe(self, node: str) -> str:
        state = self.state.get(node)
        if state is None:
            return "not started"
        return "running" if state in UP_STATES else state

    @contextmanager
    def _doing(self, what: str) -> Iterator[None]:
        """Relabel a backend failure as the harness failing, saying what it was doing."""
        try:
            yield
        except Exception as exc:  # whatever a backend raises here, it is the harness failing
            raise HarnessFault(f"{exc} — while {what}") from exc


_HANDLERS: dict[type, Callable[[Network, Any], FollowUp | None]] = {
    CutLinks: Network._cut,
    Heal: Network._heal,
    LinkChange: Network._change_links,
    SetLinks: Network._set_links,
    Crash: Network._crash,
    Restart: Network._restart,
    Pause: Network._pause,
    Resume: Network._resume,
    Join: Network._join,
    Leave: Network._leave,
    AttackStart: Network._attack_start,
    AttackStop: Network._attack_stop,
    Chaos: Network._anchor,
    Wait: Network._anchor,
}


def _cut_between(cut: set[Pair], a: str, b: str) -> bool:
    return (a, b) in cut or (b, a) in cut


def describe_fault(fault: LinkFault) -> str:
    """`latency 50ms, jitter 10ms, loss 1%`, or `a clean link`."""
    parts = [
        f"latency {fault.latency_ms:g}ms" if fault.latency_ms else "",
        f"jitter {fault.jitter_ms:g}ms" if fault.jitter_ms else "",
        f"loss {fault.loss:.3g}" if fault.loss else "",
        f"bandwidth {fault.bandwidth_kbps:g}KB/s" if fault.bandwidth_kbps is not None else "",
    ]
    return ", ".join(p for p in parts if p) or "a clean link"


def _merge_fault(base: LinkFault, settings: LinkSettings) -> LinkFault:
    current = LinkSettings(
        latency=base.latency_ms / 1000,
        jitter=base.jitter_ms / 1000,
        loss=base.loss,
        bandwidth=base.bandwidth_kbps * 1024 if base.bandwidth_kbps else None,
    )
    return to_fault(merge_links(current, settings))
