"""Blocks whose parent is unknown, kept (bounded, oldest out first) until the parent arrives."""

from __future__ import annotations

from collections import OrderedDict

from .block import Block


class OrphanPool:
    def __init__(self, max_size: int = 256) -> None:
        self.max_size = max_size
        self._blocks: OrderedDict[str, Block] = OrderedDict()
        self._by_parent: dict[str, set[str]] = {}

    def __len__(self) -> int:
        return len(self._blocks)

    def __contains__(self, block_hash: object) -> bool:
        return block_hash in self._blocks

    def add(self, block: Block) -> None:
        if block.hash in self._blocks:
            return
        self._blocks[block.hash] = block
        self._by_parent.setdefault(block.header.prev, set()).add(block.hash)
        while len(self._blocks) > self.max_size:
            _, oldest = self._blocks.popitem(last=False)
            self._unlink(oldest)

    def pop_children(self, parent_hash: str) -> list[Block]:
        """Remove and return the orphans that build on `parent_hash`."""
        children = [self._blocks.pop(h) for h in sorted(self._by_parent.pop(parent_hash, ()))]
        return children

    def _unlink(self, block: Block) -> None:
        siblings = self._by_parent.get(block.header.prev)
        if siblings is not None:
            siblings.discard(block.hash)
            if not siblings:
                del self._by_parent[block.header.prev]
