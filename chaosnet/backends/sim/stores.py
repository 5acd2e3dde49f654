"""The simulated nodes' SQLite databases, in memory, kept by the world across crashes.

A node's store is the same `Store` with the same SQL; only its database lives in this process's
memory (SQLite's `memdb` VFS) instead of a file. A commit to a WAL file costs tens of
microseconds of system calls, and a simulated network commits once per relayed batch per node:
the file's durability buys nothing when no process can die. The world holds one connection to
each database for the whole run, so a crash (the node's own connection closed, whatever it had
not committed rolled back) keeps what was committed, as a killed process's WAL file does, and a
restart opens the same database. At teardown each database is written to the file a node on the
other backends keeps, `RUN_DIR/nodes/NAME/chain.sqlite3`, for whoever inspects the run.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
from pathlib import Path

_runs = itertools.count()


class MemoryStores:
    def __init__(self) -> None:
        # memdb names are shared by the whole process: several worlds (tests, explore) may live
        self._prefix = f"chaosnet-sim-{os.getpid()}-{next(_runs)}"
        self._keepers: dict[str, tuple[sqlite3.Connection, Path]] = {}

    def add(self, node: str, file: Path) -> None:
        """Create `node`'s empty database; `file` is where teardown writes it."""
        uri = self.uri(node)
        self._keepers[node] = (sqlite3.connect(uri, uri=True, check_same_thread=False), file)

    def uri(self, node: str) -> str:
        return f"file:/{self._prefix}-{node}?vfs=memdb"

    def close(self) -> None:
        """Write every database to its file, then free it."""
        keepers, self._keepers = self._keepers, {}
        for keeper, file in keepers.values():
            file.parent.mkdir(parents=True, exist_ok=True)
            with sqlite3.connect(file) as target:
                keeper.backup(target)
            target.close()
            keeper.close()
