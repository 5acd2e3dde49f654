"""Where chaosnet finds the external programs it drives.

Toxiproxy is looked up on PATH and then beside the running interpreter, because `make install`
links a pinned `toxiproxy-server` into the virtualenv's bin/ and users often call
`.venv/bin/chaosnet` without activating the virtualenv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

TOXIPROXY_PINNED = "2.12.0"


def find_program(name: str) -> str | None:
    """Absolute path of `name` on PATH or beside the Python interpreter, else None."""
    found = shutil.which(name)
    if found:
        return found
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return None


def toxiproxy_server() -> str | None:
    """Path of toxiproxy-server (env CHAOSNET_TOXIPROXY overrides), else None."""
    override = os.environ.get("CHAOSNET_TOXIPROXY")
    if override:
        return override if Path(override).is_file() else None
    return find_program("toxiproxy-server")


def toxiproxy_version(path: str) -> str | None:
    """The version string toxiproxy-server reports, or None when it does not run."""
    try:
        out = subprocess.run(
            [path, "-version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout + out.stderr).strip()
    return text.split()[-1] if text else None


def node_command() -> list[str]:
    """How to start a reference node process: the console script, or the module as fallback."""
    script = find_program("chaosnet-node")
    if script:
        return [script]
    return [sys.executable, "-m", "reference_node"]
