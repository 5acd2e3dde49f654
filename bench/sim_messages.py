"""Peer messages a simulated run sends, by path: what sets a run's speed is mostly how many
messages it exchanges (docs/performance.md, "Simulation"), so the sim benches can count them.

Used by `bench_sim.py --messages` and `bench_sim_scenarios.py --messages`, in a run of its own
after the timed ones: counting costs a coroutine layer per message. Runs are deterministic, so
one counted run gives the counts of every run of the same scenario and seed.
"""

from __future__ import annotations

from collections import Counter
from types import TracebackType
from typing import Any

from chaosnet.backends.sim.links import LinkLayer, Message


class MessageTally:
    """While entered, every message a node sends across the link layer (peer protocol and a
    persona's wire alike), counted by path with its body bytes."""

    def __init__(self) -> None:
        self.messages: Counter[str] = Counter()
        self.body_bytes: Counter[str] = Counter()

    def __enter__(self) -> MessageTally:
        original = LinkLayer.exchange
        tally = self

        async def exchange(
            layer: LinkLayer, src: str, dial: str, message: Message, timeout: float
        ) -> Any:
            path = message.target.partition(b"?")[0].decode("latin-1")
            tally.messages[path] += 1
            tally.body_bytes[path] += len(message.body)
            return await original(layer, src, dial, message, timeout)

        self._original = original
        LinkLayer.exchange = exchange  # type: ignore[method-assign]
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        LinkLayer.exchange = self._original  # type: ignore[method-assign]

    def to_json(self) -> dict[str, Any]:
        by_path = {
            path: {"messages": count, "body_bytes": self.body_bytes[path]}
            for path, count in self.messages.most_common()
        }
        return {"total": sum(self.messages.values()), "by_path": by_path}

    def line(self, top: int = 4) -> str:
        """`11865 messages: /p2p/inv 4503, /p2p/tx 3429, …`"""
        parts = [f"{path} {count}" for path, count in self.messages.most_common(top)]
        return f"{sum(self.messages.values())} messages: " + ", ".join(parts)
