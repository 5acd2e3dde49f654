"""The observer across a node restart: the node numbers its events from 1 again, and the blocks
it syncs while coming back must still be seen (they are its sync, and evidence of catching up)."""

from __future__ import annotations

from pathlib import Path

import httpx

from chaosnet.journal import Journal
from chaosnet.observe.observer import Observer
from chaosnet.specs import ChainSpec, NodeSpec
from reference_node.events import EventLog
from tests.fakes import FakeBackend


def test_blocks_a_restarted_node_logs_under_its_new_numbering_are_seen(tmp_path: Path) -> None:
    logs = {"n1": EventLog()}

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status":
            status = {"height": 0, "tip": "g", "total_work": 1, "peers": []}
            return httpx.Response(200, json=status)
        since = int(request.url.params.get("since", "0"))
        return httpx.Response(200, json=logs["n1"].page(since))

    backend = FakeBackend()
    backend.setup(tmp_path, ChainSpec(), [NodeSpec("n1", ())])
    journal = Journal(tmp_path / "events.jsonl")
    journal.start_clock()
    observer = Observer(
        backend, journal, targets=lambda: ["n1"], transport=httpx.MockTransport(answer)
    )
    for height in range(1, 6):
        logs["n1"].emit("block", hash=f"old{height}", height=height, source="mined")
    observer.poll_once()

    logs["n1"] = EventLog()  # the node restarted: a new process, a new log
    for height in range(1, 4):
        logs["n1"].emit("block", hash=f"new{height}", height=height, source="peer")
    observer.poll_once()
    observer.stop()

    seen = {r["hash"] for r in journal.records("block_seen")}
    assert {"new1", "new2", "new3"} <= seen
