"""Handing signed transactions to one node, as few requests as it takes.

The node's batch endpoint `POST /p2p/tx {"txs": [...]}` validates each transaction on its own and
answers with the txids it refused, so one request carries a whole batch (the per-request cost,
not signing, is what limits a generator on a busy machine). A node without it (404/405) gets one
`POST /tx` per transaction, the user API every node has. A transport that can `post` bytes
itself (`DirectPost`, the simulator's) carries them without httpx requests and responses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import httpx

from reference_node.core.tx import Transaction

MAX_BATCH = 500  # the reference node takes at most 1000 transactions per request
JSON_TYPE = {"content-type": "application/json"}


@runtime_checkable
class DirectPost(Protocol):
    """`POST url` with a JSON body, answered as (status, body), raising httpx's errors."""

    def post(self, url: str, body: bytes) -> tuple[int, bytes]: ...


def encode(content: Any) -> bytes:
    """JSON as httpx's `json=` encodes it, so both paths send the same bytes."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


@dataclass
class Answer:
    """What one node made of a batch: txids of what it accepted, and what it refused."""

    accepted: dict[str, Transaction] = field(default_factory=dict)  # txid the node gave → tx
    refused: list[Transaction] = field(default_factory=list)

    def merge(self, other: Answer) -> None:
        self.accepted.update(other.accepted)
        self.refused.extend(other.refused)


class Submitter:
    """Sends batches over one keep-alive client; raises `httpx.HTTPError` when the node does not
    answer, so the caller can try another node. Once `stopped()` holds, what is left of a batch
    is not sent (it is neither accepted nor refused)."""

    def __init__(
        self, client: httpx.Client, stopped: Callable[[], bool], direct: DirectPost | None = None
    ) -> None:
        self.client = client
        self.stopped = stopped
        self.batches = True  # until a node shows it has no batch endpoint
        self._post = direct.post if direct is not None else self._post_http

    def submit(self, url: str, txs: list[Transaction]) -> Answer:
        answer = Answer()
        for start in range(0, len(txs), MAX_BATCH):
            if self.stopped():
                break
            chunk = txs[start : start + MAX_BATCH]
            part = self._batch(url, chunk) if self.batches else None
            answer.merge(part if part is not None else self._one_by_one(url, chunk))
        return answer

    def _batch(self, url: str, txs: list[Transaction]) -> Answer | None:
        status, content = self._post(f"{url}/p2p/tx", encode({"txs": [tx.to_json() for tx in txs]}))
        if status in (404, 405):
            self.batches = False
            return None
        if status != 200:
            return Answer(refused=list(txs))
        refused = set(json.loads(content).get("rejected", []))
        return Answer(
            accepted={tx.txid: tx for tx in txs if tx.txid not in refused},
            refused=[tx for tx in txs if tx.txid in refused],
        )

    def _one_by_one(self, url: str, txs: list[Transaction]) -> Answer:
        answer = Answer()
        for tx in txs:
            if self.stopped():
                break
            status, content = self._post(f"{url}/tx", encode(tx.to_json()))
            if status == 202:
                answer.accepted[str(json.loads(content)["txid"])] = tx
            else:
                answer.refused.append(tx)
        return answer

    def _post_http(self, url: str, body: bytes) -> tuple[int, bytes]:
        reply = self.client.post(url, content=body, headers=JSON_TYPE)
        return reply.status_code, reply.content
