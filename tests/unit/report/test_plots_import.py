"""matplotlib is the slowest import chaosnet has, and only drawing a report page needs it: every
command starts without it (`validate`, `--help`, `sweep`, `explore`), and the first plot loads
it on the Agg backend, whatever the environment asks for."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

PROBE = """\
import sys
import chaosnet.cli
print("at start:", "matplotlib" in sys.modules)
from chaosnet.report import plots
svg = plots.tps_plot([(0.0, 1.0), (1.0, 2.0)], [(0.0, 2.0), (1.0, 2.0)])
import matplotlib
print("after a plot:", "matplotlib" in sys.modules, matplotlib.get_backend().lower(), svg[:4])
"""


def test_the_cli_starts_without_matplotlib_and_the_first_plot_loads_it_on_agg():
    probe = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "TkAgg"},
        check=True,
    )
    assert probe.stdout.splitlines() == ["at start: False", "after a plot: True agg <svg"]
