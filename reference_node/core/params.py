"""Consensus parameters: what every node of one network must agree on, and the fixed limits."""

from __future__ import annotations

from dataclasses import dataclass

GENESIS_BALANCE = 1_000_000_000
"""What each genesis account holds."""
GENESIS_TIMESTAMP = 1_735_689_600_000
"""2025-01-01T00:00:00Z in milliseconds; genesis must not depend on when a node starts."""
MAX_FUTURE_MS = 120_000
"""A header may be at most this far ahead of the validating node's clock."""
MEDIAN_TIME_SPAN = 11
"""A header's timestamp must exceed the median of this many ancestors (Bitcoin's rule)."""
MAX_BLOCK_TXS = 5_000
"""Keeps a full block well below the 4 MiB message limit (a tx is about 350 bytes of JSON)."""
MAX_GENESIS_ACCOUNTS = 100_000


@dataclass(frozen=True, slots=True)
class ChainParams:
    """The network's rules: the same values give the same genesis block and the same verdicts."""

    difficulty: int = 16
    genesis_accounts: int = 100
    reward: int = 50

    def __post_init__(self) -> None:
        if not 0 <= self.difficulty <= 64:
            raise ValueError(f"difficulty must be 0..64 leading zero bits, got {self.difficulty}")
        if not 0 <= self.genesis_accounts <= MAX_GENESIS_ACCOUNTS:
            raise ValueError(f"genesis accounts must be 0..{MAX_GENESIS_ACCOUNTS}")
        if not 0 <= self.reward <= 10**12:
            raise ValueError(f"reward must be 0..10**12, got {self.reward}")
