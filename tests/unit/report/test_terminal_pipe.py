"""`chaosnet run` with its output piped (CI logs, `| tee`): plain lines, no terminal control
codes, and still the story of the run. The CLI runs in a subprocess whose stdout is a pipe, on
the in-memory backend (no processes, no sockets)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

SCENARIO = """\
apiVersion: chaosnet/v1
name: piped
duration: 1s
nodes: {count: 4}
chain: {difficulty: 4, block_interval: 1s, mining: simulated}
load: {tps: 20}
timeline:
  - {at: 0.1s, name: split, partition: halves}
  - {at: 0.2s, crash: n4}
  - {after: split, delay: 0.4s, heal: all}
assertions:
  - tps: {min: 0}
"""

# the CLI, with the in-memory backend in place of the local one
RUN_ON_FAKES = """\
import functools, sys
import chaosnet.commands.run as command
from chaosnet.cli import main
from tests.fakes import FakeBackend
backend = FakeBackend()
command.make_backend = lambda name: backend
command.Runner = functools.partial(command.Runner, transport=backend.transport)
sys.argv = ["chaosnet", "run", sys.argv[1], "--out", sys.argv[2]]
main()
"""


def test_piped_output_is_plain_lines_that_tell_the_story(tmp_path: Path) -> None:
    scenario = tmp_path / "piped.yaml"
    scenario.write_text(SCENARIO)
    done = subprocess.run(
        [sys.executable, "-c", RUN_ON_FAKES, str(scenario), str(tmp_path / "runs")],
        cwd=REPO,
        capture_output=True,  # stdout is a pipe, as under CI or `| tee`
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "\x1b" not in out and "\r" not in out  # no colours, no cursor moves, no redraws
    lines = out.splitlines()
    assert "phase: timeline" in lines
    assert any("split: partition" in line and "✓" in line for line in lines)
    assert any("crash n4" in line for line in lines)
    assert any("load: 20 of 20 offered submitted (100 %)" in line for line in lines)
    assert "verdict: PASS" in out
