"""The observer's samples carry what attack metrics need from each node: its peers' ids, its
invalid-message counter, and how deep it holds the payments an attacker announced."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from chaosnet.journal import Journal
from chaosnet.observe.observer import Observer
from chaosnet.specs import Endpoint

METRICS = (
    "# TYPE chaosnet_invalid_messages_total counter\n"
    "chaosnet_invalid_messages_total 7.0\n"
    "chaosnet_invalid_messages_created 1.8e9\n"
)


class Endpoints:
    """Just enough of a backend for the observer: where each node answers."""

    def endpoint(self, name: str) -> Endpoint:
        return Endpoint(name, f"http://{name}.test")


def status(name: str) -> dict[str, Any]:
    stats = {"payment": "pay1", "conflict": "back1"} if name == "eve" else None
    return {
        "height": 5,
        "tip": "T",
        "total_work": 5,
        "peers": [{"node_id": "eve~0"}, {"node_id": "n2"}],
        "persona_stats": stats,
    }


def answer(request: httpx.Request) -> httpx.Response:
    name, path = request.url.host.removesuffix(".test"), request.url.path
    if path == "/status":
        return httpx.Response(200, json=status(name))
    if path == "/events":
        return httpx.Response(200, json={"next": 0, "events": []})
    if path == "/metrics":
        return httpx.Response(200, text=METRICS)
    if path == "/tx/pay1" and name == "n1":
        return httpx.Response(200, json={"confirmations": 4})
    return httpx.Response(404, json={"error": "no"})


def test_samples_carry_peer_ids_invalid_messages_and_honest_payment_depths(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "events.jsonl")
    journal.start_clock()
    observer = Observer(
        Endpoints(),  # type: ignore[arg-type]
        journal,
        targets=lambda: ["eve", "n1"],
        transport=httpx.MockTransport(answer),
    )
    observer.poll_once()  # learns eve's payment
    observer.poll_once()  # asks every node how deep it holds it
    n1 = [r for r in journal.records("sample") if r["node"] == "n1"][-1]
    assert n1["peer_ids"] == ["eve~0", "n2"]
    assert n1["invalid_messages"] == 7
    assert n1["payments"] == {"pay1": 4}
    observer.stop()
