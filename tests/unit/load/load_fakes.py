"""In-memory nodes for the load generator's tests, on top of `tests.fakes.FakeBackend`.

`BatchingBackend` answers the batch endpoint `POST /p2p/tx {"txs": [...]}` as the reference node
does (each tx on its own, the refused txids listed) and counts the requests it got.
`SlowBackend` has no batch endpoint (404) and takes `delay` seconds over every `POST /tx`: a node
(or a machine) the generator cannot keep up with.
"""

from __future__ import annotations

import json
import time

import httpx

from tests.fakes import FakeBackend


class BatchingBackend(FakeBackend):
    def __init__(self) -> None:
        super().__init__()
        self.tx_requests = 0
        self.txs_received = 0

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/p2p/tx" and request.method == "POST":
            health = httpx.Request("GET", request.url.copy_with(path="/health"))
            super()._answer(health)  # a node that is down or paused does not answer
            self.tx_requests += 1
            txs = json.loads(request.content)["txs"]
            self.txs_received += len(txs)
            return httpx.Response(200, json={"accepted": len(txs), "rejected": []})
        return super()._answer(request)


class SlowBackend(FakeBackend):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    def _answer(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/tx" and request.method == "POST":
            time.sleep(self.delay)
        return super()._answer(request)
