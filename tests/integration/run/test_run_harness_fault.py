"""A harness that stops answering mid-run ends the run as an error (exit 2), never as a verdict on
the network: real node processes, a real toxiproxy-server, and that server frozen with SIGSTOP."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.runs import processes_started_for, results_of, wait_for_phase

pytestmark = pytest.mark.slow

DURATION = 300  # seconds; the run must end long before, as soon as the split cannot be applied

SCENARIO = f"""\
apiVersion: chaosnet/v1
name: toxiproxy-hangs
seed: 3
duration: {DURATION}s
nodes: {{count: 3, topology: {{kind: full-mesh}}}}
chain: {{difficulty: 10, block_interval: 2s, mining: simulated}}
links: {{latency: 20ms}}
timeline:
  - {{at: 6s, name: split, partition: halves}}
  - {{after: split, delay: 5s, name: heal, heal: all}}
assertions:
  - converge: {{within: 10s, after: heal}}
"""


def toxiproxy_of(run_dir: Path) -> psutil.Process:
    entries = json.loads((run_dir / "pids.json").read_text())["processes"]
    (entry,) = [e for e in entries if e["name"] == "toxiproxy"]
    return psutil.Process(int(entry["pid"]))


def test_a_frozen_toxiproxy_ends_the_run_with_exit_2_and_nothing_left(
    out: Path, tmp_path: Path
) -> None:
    scenario = tmp_path / "hangs.yaml"
    scenario.write_text(SCENARIO)
    command = ["run", str(scenario), "--out", str(out)]
    proc = subprocess.Popen(
        [sys.executable, "-c", "from chaosnet.cli import main; main()", *command],
        cwd=out,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    toxiproxy: psutil.Process | None = None
    try:
        run_dir = wait_for_phase(out, "timeline", timeout=60)
        toxiproxy = toxiproxy_of(run_dir)
        toxiproxy.send_signal(signal.SIGSTOP)  # its API (and every link) stops answering
        stdout, stderr = proc.communicate(timeout=DURATION / 2)
    finally:
        if proc.poll() is None:
            proc.kill()
        if toxiproxy is not None and toxiproxy.is_running():
            toxiproxy.send_signal(signal.SIGCONT)
            toxiproxy.kill()
    assert proc.returncode == 2, stdout[-3000:] + stderr[-3000:]
    results = results_of(run_dir)
    assert results["verdict"] == "error" and results["assertions"] == []
    assert results["duration_s"] < DURATION
    error = results["error"]
    assert error.startswith("harness: Toxiproxy") and "did not answer" in error, error
    assert "while cutting n1->n3 (event split)" in error, error
    assert "harness: Toxiproxy" in stdout
    events = {e["id"]: e for e in results["timeline"]}
    assert events["split"]["status"] == "failed" and events["heal"]["status"] == "pending"
    assert not processes_started_for(run_dir)
    assert not toxiproxy.is_running()
