"""`chaosnet` in the test's own process, for runs that need no process of their own."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import pytest

from chaosnet.cli import main


def in_process(*args: str, cwd: Path, timeout: float = 0) -> subprocess.CompletedProcess[str]:
    """`tests.runs.chaosnet` without starting a process: the same command line through the same
    entry point (`main`, exit code and all). A sim run spends most of its CPU on imports when it
    starts a process of its own (about 2.5 s of 4); a test whose point is the process boundary
    (determinism under PYTHONHASHSEED) still starts one. `timeout` is left to pytest-timeout."""
    argv = ["chaosnet", *args]
    stdout, stderr = io.StringIO(), io.StringIO()
    code: int | str | None = 0
    with (
        contextlib.chdir(cwd),
        contextlib.redirect_stdout(stdout),
        contextlib.redirect_stderr(stderr),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(sys, "argv", argv)
        try:
            main()
        except SystemExit as exc:
            code = exc.code
    returncode = code if isinstance(code, int) else int(code is not None)
    return subprocess.CompletedProcess(argv, returncode, stdout.getvalue(), stderr.getvalue())
