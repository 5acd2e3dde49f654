"""Rules a header or block must satisfy on its own or against its ancestors (not the state).

State rules (nonces, balances, coinbase amount) live in `state.AccountState.apply_block`, which is
the only place that knows balances.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Container, Sequence

from .block import Block, Header, merkle_root
from .errors import InvalidBlock, InvalidTx, TooNew
from .params import MAX_BLOCK_TXS, MAX_FUTURE_MS, ChainParams


def median(values: Sequence[int]) -> int:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def check_header(
    header: Header, params: ChainParams, ancestor_times: Sequence[int], now_ms: int
) -> None:
    """Proof of work at the network's difficulty, and a plausible timestamp.

    `ancestor_times` are the timestamps of up to 11 ancestors (parent first).
    """
    if header.bits != params.difficulty:
        raise InvalidBlock(
            "bad-difficulty", f"header has {header.bits} bits, network uses {params.difficulty}"
        )
    if not header.has_valid_pow():
        raise InvalidBlock("bad-pow", f"hash {header.hash} lacks {header.bits} leading zero bits")
    if ancestor_times and header.timestamp <= median(ancestor_times):
        raise InvalidBlock(
            "time-too-old", f"timestamp {header.timestamp} <= median of the last ancestors"
        )
    if header.timestamp > now_ms + MAX_FUTURE_MS:
        raise TooNew("time-too-new", f"timestamp {header.timestamp} is ahead of now {now_ms}")


def check_body(block: Block, height: int, verified: Container[str] = ()) -> None:
    """Shape of the transaction list and every signature; `verified` txids skip re-checking.

    Raises InvalidBlock with reason "bad-merkle-root" when the body does not match the header:
    the header may still be fine with another body, so that one reason must not mark it invalid.
    """
    txs = block.txs
    if not txs or not txs[0].is_coinbase:
        raise InvalidBlock("no-coinbase", "the first transaction must be the coinbase")
    if len(txs) > MAX_BLOCK_TXS + 1:
        raise InvalidBlock("too-many-txs", f"{len(txs) - 1} txs, at most {MAX_BLOCK_TXS}")
    if len({t.txid for t in txs}) != len(txs):
        raise InvalidBlock("bad-merkle-root", "duplicate transactions")
    if merkle_root([t.txid for t in txs]) != block.header.merkle_root:
        raise InvalidBlock("bad-merkle-root", "transactions do not match the merkle root")
    coinbase = txs[0]
    if coinbase.recipient != block.header.miner or coinbase.nonce != height or coinbase.fee:
        raise InvalidBlock("bad-coinbase", "coinbase must pay the miner, nonce = height, fee 0")
    for tx in txs[1:]:
        if tx.txid in verified:
            continue
        try:
            tx.check_signature()
        except InvalidTx as exc:
            raise InvalidBlock("bad-tx", f"tx {tx.txid}: {exc}") from exc


class VerifiedTxids:
    """Txids whose signatures need no second check when their block connects: the mempool's
    (checked on admission) and those a batch check verified ahead of connecting (bounded, oldest
    forgotten first). A txid commits to the signed bytes and the signature, so it is enough."""

    def __init__(self, mempool: Container[str], max_size: int = 100_000) -> None:
        self.mempool = mempool
        self.max_size = max_size
        self._checked: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, txid: object) -> bool:
        return txid in self.mempool or txid in self._checked

    def add(self, txid: str) -> None:
        self._checked[txid] = None
        if len(self._checked) > self.max_size:
            self._checked.popitem(last=False)
