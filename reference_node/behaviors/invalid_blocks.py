"""Invalid blocks: forged blocks on the current tip, each breaking one rule, sent to every peer.

Kinds rotate through `kinds` (default all): `pow` (hash misses the target), `merkle` (body does
not match the header's merkle root), `signature` (a transfer with a forged signature) and
`double-spend` (two transfers with the same sender and nonce). Every kind but `pow` carries a
real proof of work, so it is the rule under test that must catch it. Blocks go out `rate` per
second (0: none), and every block this node mines is replaced by a forged one, so its hashrate
only ever produces garbage. Honest nodes must reject them all and ban the sender.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools

from ..core.block import Block
from ..core.keys import account_key, address_of
from ..core.mining import build_block, solve
from ..core.tx import Transaction, make_coinbase, make_transfer
from .base import Persona, Stats, peer_dials
from .wire import UNREACHABLE

KINDS = ("pow", "merkle", "signature", "double-spend")


class InvalidBlocks(Persona):
    name = "invalid-blocks"
    accepted_args = frozenset({"kinds", "rate"})

    def __init__(self, args: dict[str, str]) -> None:
        super().__init__(args)
        self.kinds = itertools.cycle(self.choice_list_arg("kinds", KINDS))
        self.rate = self.float_arg("rate", 1.0, 0.0, 100.0)
        self.counts = {"sent": 0, "rejected": 0, "refused_banned": 0, "answered_ok": 0}
        self.by_kind = dict.fromkeys(KINDS, 0)
        self.pending = asyncio.Queue[None]()

    def stats(self) -> Stats:
        return {**self.counts, **{f"sent_{k}": n for k, n in self.by_kind.items()}}

    def publish_mined(self, block: Block) -> bool:
        self.say("mined block %s turned into a forged one", block.hash[:16])
        self.pending.put_nowait(None)
        return False

    async def run(self) -> None:
        while True:
            timeout = 1.0 / self.rate if self.rate > 0 else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.pending.get(), timeout)
            await self._send_one()

    async def _send_one(self) -> None:
        kind = next(self.kinds)
        block = await asyncio.get_running_loop().run_in_executor(None, solve, self._unsolved(kind))
        block = self._spoil(kind, block)
        dials = peer_dials(self.peers)
        answers = await asyncio.gather(
            *(self.wire.post(d, "/p2p/block", {"block": block.to_json()}) for d in dials)
        )
        self.by_kind[kind] += 1
        self.counts["sent"] += 1
        verdicts = []
        for dial, (status, answer) in zip(dials, answers, strict=True):
            if status == 200:
                self.counts["answered_ok"] += 1
            elif status == 403:
                self.counts["refused_banned"] += 1
            elif status != UNREACHABLE:
                self.counts["rejected"] += 1
            error = answer.get("error", "") if isinstance(answer, dict) else ""
            verdicts.append(f"{dial} {status or 'unreachable'} {error[:60]}".rstrip())
        self.say(
            "sent %s block %s to %d peer(s): %s",
            kind,
            block.hash[:16],
            len(dials),
            "; ".join(verdicts) or "no peers",
        )

    def _unsolved(self, kind: str) -> Block:
        """A block on our tip whose transactions break the rule of `kind` (if any)."""
        node = self.node
        key = account_key(0)
        sender = address_of(key)
        nonce = node.chain.state.nonce(sender)
        txs: tuple[Transaction, ...] = ()
        if kind == "signature":
            signed = make_transfer(key, node.miner_address, 1, 1, nonce)
            txs = (Transaction(sender, signed.recipient, 2, 1, nonce, signed.signature),)
        elif kind == "double-spend":
            txs = (
                make_transfer(key, node.miner_address, 1, 1, nonce),
                make_transfer(key, address_of(account_key(1)), 1, 1, nonce),
            )
        return build_block(node.chain, node.chain.tip, txs, node.miner_address, node.now_ms())

    def _spoil(self, kind: str, block: Block) -> Block:
        """Break the proof of work or the merkle root of a solved block; other kinds are ready."""
        if kind == "pow":
            header = block.header
            nonce = header.nonce + 1
            while header.with_nonce(nonce).has_valid_pow():
                nonce += 1
            return Block(header.with_nonce(nonce), block.txs)
        if kind == "merkle":
            coinbase = block.txs[0]
            richer = make_coinbase(coinbase.recipient, coinbase.amount + 1, coinbase.nonce)
            return Block(block.header, (richer, *block.txs[1:]))
        return block
