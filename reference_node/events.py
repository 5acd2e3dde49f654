"""What the runner observes: first-seen blocks, reorgs and tip changes, numbered and bounded.

A ring buffer, not a log file: the runner polls `GET /events?since=SEQ` often, and a node that
runs for hours must not grow without limit. Sequence numbers keep counting, so a poller that fell
behind the buffer sees the gap (`oldest` > its `since`).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any

MAX_PAGE = 1000


class EventLog:
    def __init__(self, capacity: int = 20_000, clock: Callable[[], float] = time.time) -> None:
        self._events: deque[dict[str, Any]] = deque(maxlen=capacity)
        self._next = 1
        self._clock = clock

    def emit(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = {"seq": self._next, "time": self._clock(), "kind": kind, **fields}
        self._next += 1
        self._events.append(event)
        return event

    def page(self, since: int, limit: int = MAX_PAGE) -> dict[str, Any]:
        """Events with seq >= since (at most `limit`); `next` is the `since` of the next poll."""
        oldest = self._events[0]["seq"] if self._events else self._next
        start = max(since, oldest) - oldest
        events = [self._events[i] for i in range(start, min(start + limit, len(self._events)))]
        following = events[-1]["seq"] + 1 if events else max(since, oldest)
        return {"next": min(following, self._next), "oldest": oldest, "events": events}
