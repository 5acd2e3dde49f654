"""Each simulated node's log in its own file, as if it were its own process.

All nodes log through the same `reference_node` loggers in one process; the handler reads the
node whose work is running (`SIM_NODE`) and writes to that node's `node.log`, stamped with
virtual run time so a log lines up with the journal.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TextIO

from chaosnet.backends.sim.loop import SIM_NODE
from chaosnet.backends.sim.world import World

LOGGER = "reference_node"


class NodeLogs(logging.Handler):
    def __init__(self, nodes_dir: Path, world: World) -> None:
        super().__init__(logging.INFO)
        self.nodes_dir = nodes_dir
        self.world = world
        self._files: dict[str, TextIO] = {}
        self._logger = logging.getLogger(LOGGER)
        self._previous = (self._logger.level, self._logger.propagate)
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False  # node chatter belongs in node logs, not on the terminal
        self._logger.addHandler(self)

    def emit(self, record: logging.LogRecord) -> None:
        node = SIM_NODE.get()
        if not node:
            return
        out = self._files.get(node)
        if out is None:
            path = self.nodes_dir / node / "node.log"
            path.parent.mkdir(parents=True, exist_ok=True)
            out = self._files[node] = path.open("a", encoding="utf-8")
        out.write(f"{self.world.now():10.3f} {record.levelname} {record.getMessage()}\n")
        if record.exc_info:
            out.write(logging.Formatter().formatException(record.exc_info) + "\n")

    def close(self) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._previous[0])
        self._logger.propagate = self._previous[1]
        for out in self._files.values():
            out.close()
        super().close()
