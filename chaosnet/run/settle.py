"""The end of a run: wait (bounded) for the honest nodes to agree, then journal what they ended on.

`final_state` says who runs and on which tip; `final_chain` is the best honest chain with its
txids, after each distinct honest chain was fetched and replayed through the node core's own
validation in this process (`invalid_chains` names the honest nodes whose chain did not replay).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from chaosnet.backends.base import Backend
from chaosnet.errors import ChaosnetError
from chaosnet.httpclient import Read
from chaosnet.journal import Journal
from chaosnet.observe.chain import fetch_chain, replay
from chaosnet.observe.observer import NodeView, Observer
from chaosnet.scenario.model import Scenario
from chaosnet.specs import ChainSpec
from reference_node.core.block import Block

SETTLE_DEFAULT = 30.0  # seconds to wait for agreement when the scenario asserts nothing
SETTLE_MIN = 5.0
POLL = 0.25


def settle_budget(scenario: Scenario) -> float:
    """How long to wait for agreement: the largest `converge.within`, at least SETTLE_MIN."""
    withins = [float(a.param("within") or 0) for a in scenario.assertions if a.kind == "converge"]
    default = SETTLE_DEFAULT if not scenario.assertions else 0.0
    return max([*withins, default, SETTLE_MIN])


def wait_for_agreement(
    observer: Observer,
    journal: Journal,
    running_honest: Callable[[], list[str]],
    budget: float,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Until the running honest nodes (asked anew each round) share a tip, or `budget` runs out;
    whether they did."""
    end = journal.now() + budget
    while journal.now() < end:
        nodes = running_honest()
        if nodes and observer.converged(nodes, fresh_after=journal.now() - 1.0):
            return True
        sleep(POLL)
    return False


def record_final_state(
    observer: Observer, journal: Journal, running_honest: list[str], agreed: bool
) -> None:
    """What the nodes ended on. They converged if they `agreed` when the wait ended or agree in
    the last poll: miners keep mining, and a block still crossing the links while that poll
    goes round is not a disagreement (a 3-node run at a block a second read one about once in
    twenty runs)."""
    views = observer.snapshot()
    journal.record(
        "final_state",
        converged=agreed or observer.converged(running_honest),
        running=running_honest,
        tips={n: views[n].tip for n in running_honest if n in views},
        heights={n: views[n].height for n in running_honest if n in views},
    )


def record_link_bytes(backend: Backend, journal: Journal) -> None:
    """Bytes per directed link: evidence only, so a failure to read them is journalled, not raised."""
    try:
        carried = backend.link_bytes()
    except ChaosnetError as exc:
        journal.record("observer_error", error=f"link bytes: {exc}")
        return
    journal.record("link_bytes", bytes={f"{a}->{c}": v for (a, c), v in carried.items()})


def record_final_chains(
    read: Read,
    backend: Backend,
    journal: Journal,
    views: dict[str, NodeView],
    chain: ChainSpec,
) -> dict[str, str]:
    """Fetch and replay each distinct chain of the nodes in `views`; journal the one with the most
    work as `final_chain`. Returns the nodes whose chain is invalid, with the reason."""
    by_tip: dict[str, list[Block]] = {}
    invalid: dict[str, str] = {}
    for name, view in views.items():
        if view.tip in by_tip:
            continue
        try:
            blocks = fetch_chain(read, backend.endpoint(name).url, view.height)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            journal.record("observer_error", error=f"fetch chain of {name}: {exc}")
            continue
        by_tip[view.tip] = blocks
        why = replay(blocks, chain)
        if why is not None:
            invalid[name] = why
    best = max(views.values(), key=lambda v: v.total_work, default=None)
    if best is not None and best.tip in by_tip:
        _journal_chain(journal, best.tip, by_tip[best.tip])
    return invalid


def _journal_chain(journal: Journal, tip: str, blocks: list[Block]) -> None:
    journal.record(
        "final_chain",
        tip=tip,
        height=len(blocks),
        blocks=[
            {"hash": b.hash, "miner": b.header.miner, "txids": [t.txid for t in b.txs]}
            for b in blocks
        ],
    )
