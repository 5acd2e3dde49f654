"""The live view as someone watching a run reads it: each node's height, state and partition
side, the partition, the latest reorgs and the attackers' shares so far.

Rendering is checked from `Progress` values, then end to end: a whole run on the in-memory
backend whose every `Progress` is rendered, so what the network and the observer feed it is what
the screen says.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console

from chaosnet.plan import resolve
from chaosnet.report.terminal import render_progress
from chaosnet.run.hooks import AttackerShare, Progress, ReorgSeen, RunHooks
from chaosnet.run.live import BestChain
from chaosnet.runner import Runner
from chaosnet.scenario.model import (
    After,
    Assertion,
    At,
    Attacker,
    ChainSettings,
    Crash,
    Event,
    Heal,
    NodeDef,
    Partition,
    Pause,
    Role,
    Scenario,
)
from tests.fakes import FakeBackend

SIX = ("n1", "n2", "n3", "n4", "n5", "n6")


def screen(progress: Progress) -> str:
    out = io.StringIO()
    Console(file=out, width=120).print(render_progress(progress))
    return out.getvalue()


def progress(**kw: Any) -> Progress:
    base: dict[str, Any] = {
        "elapsed": 20.3,
        "total": 60.0,
        "heights": {n: 12 for n in SIX},
        "faults": [],
        "pending_assertions": 3,
        "phase": "timeline",
        "states": {n: "started" for n in SIX},
    }
    base.update(kw)
    return Progress(**base)


def row(text: str, node: str) -> str:
    """The node's row, its columns joined by single spaces."""
    [line] = [ln for ln in text.splitlines() if ln.split()[:1] == [node]]
    return " ".join(line.split())


def test_each_node_shows_its_state_and_a_crashed_one_reads_down() -> None:
    text = screen(
        progress(
            heights={**{n: 12 for n in SIX}, "n4": None, "n6": None},
            states={**{n: "started" for n in SIX[:5]}, "n4": "crashed", "n2": "paused"},
            slowed=["n3"],
        )
    )
    assert row(text, "n1") == "n1 12 up"
    assert row(text, "n2") == "n2 12 paused"
    assert row(text, "n3") == "n3 12 slowed"
    assert row(text, "n4") == "n4 - down (crashed)"
    assert row(text, "n6") == "n6 - not started"
    assert row(text, "node") == "node height state side"
    assert "20.3s / 60s" in text and "assertions pending: 3" in text


def test_a_partition_names_its_sides_and_each_node_its_side() -> None:
    text = screen(
        progress(
            partition="halves",
            sides=[["n1", "n2", "n3"], ["n4", "n5", "n6"]],
            faults=["halves", "links of all changed", "n4 crashed"],
        )
    )
    assert "partition: n1,n2,n3 | n4,n5,n6" in text
    assert row(text, "n2") == "n2 12 up side 1"
    assert row(text, "n5") == "n5 12 up side 2"
    assert "link faults: links of all changed" in text  # the partition and n4 are shown above


def test_a_partition_without_clean_sides_shows_its_label() -> None:
    text = screen(progress(partition="ring", sides=[], faults=["ring"]))
    assert "partition: ring" in text and "link faults: none" in text


def test_recent_reorgs_and_attackers_so_far() -> None:
    text = screen(
        progress(
            reorgs=[ReorgSeen(23.0, "n5", 1), ReorgSeen(21.4, "n4", 2)],  # as journalled
            attackers=[AttackerShare("selfish", 3, 12, 0.35, {"withheld": 2, "state": "lead 2"})],
        )
    )
    assert "reorgs: 21.4s n4 depth 2 · 23.0s n5 depth 1" in text  # in the order they happened
    assert "attacker selfish: 3 of 12 blocks on the honest chain (25%) · hashrate 35%" in text
    assert "its persona says: withheld 2, state lead 2" in text
    assert "reorgs: none yet" in screen(progress())


class Recorder(RunHooks):
    def __init__(self) -> None:
        self.screens: list[str] = []

    def on_progress(self, progress: Progress) -> None:
        self.screens.append(screen(progress))


def test_a_whole_run_feeds_states_and_sides_to_the_screen(tmp_path: Path) -> None:
    spec = Scenario(
        name="live",
        duration=1.2,
        nodes=tuple(NodeDef(n, hashrate=1 / 6) for n in SIX),
        chain=ChainSettings(difficulty=4, block_interval=1.0),
        timeline=(
            Event(At(0.1), Partition(groups=(("n1", "n2", "n3"),)), name="split"),
            Event(At(0.1), Crash("n4"), name="crash"),
            Event(At(0.1), Pause("n5", duration=5.0), name="pause"),
            Event(After("split", 0.6), Heal(), name="heal"),
        ),
        assertions=(Assertion("height", "height", (("min", 1),)),),
    )
    backend, hooks = FakeBackend(), Recorder()
    Runner(resolve(spec), backend, tmp_path, hooks, backend.transport).run()
    during = [s for s in hooks.screens if "partition:" in s]
    assert during, "no progress was shown while the partition was in force"
    assert "partition: n1,n2,n3 | n4,n5,n6" in during[-1]
    assert re.search(r"n4\s+-\s+down \(crashed\)\s+side 2", during[-1])
    assert re.search(r"n5\s+-\s+paused\s+side 2", during[-1])
    assert "partition:" not in hooks.screens[-1]  # healed


def headers_node(chain: list[tuple[str, str, str]]) -> httpx.MockTransport:
    """A node serving `/headers` of `chain`: (hash, prev, miner) from genesis up."""

    def answer(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["from"])
        count = int(request.url.params["count"])
        page = [
            {"hash": h, "height": start + i, "prev": p, "miner": m}
            for i, (h, p, m) in enumerate(chain[start : start + count])
        ]
        return httpx.Response(200, json={"from": start, "height": len(chain) - 1, "headers": page})

    return httpx.MockTransport(answer)


def test_the_best_chain_is_read_again_after_a_reorg_below_what_was_read() -> None:
    chain = [("g", "0", "-"), ("a1", "g", "honest"), ("a2", "a1", "honest")]
    best = BestChain()
    with httpx.Client(transport=headers_node(chain)) as client:
        best.refresh(client, "http://n1")
    assert best.miners == ["-", "honest", "honest"]
    fork = [("g", "0", "-"), ("b1", "g", "evil"), ("b2", "b1", "evil"), ("b3", "b2", "evil")]
    with httpx.Client(transport=headers_node(fork)) as client:
        best.refresh(client, "http://n1")
    assert best.hashes == ["g", "b1", "b2", "b3"] and best.miners.count("evil") == 3


class AttackedNetwork(FakeBackend):
    """In-memory nodes that also serve `/headers` of their chain (all of it mined by n1) and
    whose attacker reports persona stats, as a selfish miner does."""

    def _answer(self, request: httpx.Request) -> httpx.Response:
        answer = super()._answer(request)
        host = request.url.host.removesuffix(".fake")
        if request.url.path == "/headers":
            start = int(request.url.params["from"])
            chain = [{"hash": "genesis", "miner": "-"}]
            chain += [{"hash": b.hash, **b.header.to_json()} for b in self.blocks]
            return httpx.Response(200, json={"headers": chain[start:]})
        if request.url.path == "/status" and host == "evil":
            return httpx.Response(200, json={**answer.json(), "persona_stats": {"withheld": 1}})
        return answer


def test_an_attack_run_shows_the_attackers_share_so_far(tmp_path: Path) -> None:
    spec = Scenario(
        name="attack",
        duration=0.8,
        nodes=(
            NodeDef("n1", hashrate=0.5),
            NodeDef("n2", hashrate=0.2),
            NodeDef("evil", Role.ATTACKER, hashrate=0.3),
        ),
        attackers=(Attacker("evil", "selfish", hashrate=0.3),),
        chain=ChainSettings(difficulty=4, block_interval=1.0),
        assertions=(Assertion("height", "height", (("min", 1),)),),
    )
    backend, hooks = AttackedNetwork(), Recorder()
    Runner(resolve(spec), backend, tmp_path, hooks, backend.transport).run()
    shown = [s for s in hooks.screens if "its persona says" in s]
    assert shown, "the attacker was never shown"
    assert "attacker evil: 0 of 3 blocks on the honest chain (0%) · hashrate 30%" in shown[-1]
    assert "its persona says: withheld 1" in shown[-1]


def test_nodes_are_listed_in_the_plans_order() -> None:
    names = ["n1", "n2", "n10"]
    text = screen(progress(heights=dict.fromkeys(names, 1), states=dict.fromkeys(names, "started")))
    firsts = [ln.split()[0] for ln in text.splitlines() if ln.split()[:1] in (["n2"], ["n10"])]
    assert firsts == ["n2", "n10"]
