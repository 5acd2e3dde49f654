"""The observer's rounds: a small network is asked whole every round; a large one in turns of
ROUND_SIZE nodes, so that every node is still sampled, each every ceil(N / ROUND_SIZE) rounds;
and the final poll (`poll_once`) asks everyone."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import httpx

from chaosnet.journal import Journal
from chaosnet.observe.observer import ROUND_SIZE, Observer
from chaosnet.specs import ChainSpec, NodeSpec
from tests.fakes import FakeBackend


def observer_of(tmp_path: Path, count: int) -> tuple[Observer, list[str]]:
    names = [f"n{i}" for i in range(1, count + 1)]

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/status":
            status = {"height": 0, "tip": "g", "total_work": 1, "peers": []}
            return httpx.Response(200, json=status)
        return httpx.Response(200, json={"events": [], "next": 0})

    backend = FakeBackend()
    backend.setup(tmp_path, ChainSpec(), [NodeSpec(name, ()) for name in names])
    journal = Journal(tmp_path / "events.jsonl")
    journal.start_clock()
    observer = Observer(
        backend, journal, targets=lambda: names, transport=httpx.MockTransport(answer)
    )
    return observer, names


def sampled(observer: Observer) -> Counter[str]:
    return Counter(str(r["node"]) for r in observer.journal.records("sample"))


def test_a_small_network_is_asked_whole_every_round(tmp_path: Path) -> None:
    observer, names = observer_of(tmp_path, ROUND_SIZE)
    for _ in range(2):
        observer.poll_round()
    observer.stop()
    assert sampled(observer) == dict.fromkeys(names, 2)


def test_a_large_network_is_asked_in_turns_and_everyone_at_the_end(tmp_path: Path) -> None:
    observer, names = observer_of(tmp_path, 3 * ROUND_SIZE - 5)
    turns = math.ceil(len(names) / ROUND_SIZE)
    for _ in range(turns):
        observer.poll_round()
    assert set(sampled(observer)) == set(names)  # one full turn reached every node
    assert sum(sampled(observer).values()) == turns * ROUND_SIZE  # and no round asked more
    observer.poll_once()
    observer.stop()
    assert min(sampled(observer).values()) >= 2  # the final poll asked everyone once more
