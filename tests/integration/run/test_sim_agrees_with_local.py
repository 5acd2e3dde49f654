"""The simulation and the real network tell the same story (issue 10, "agreement").

Each scenario runs once on `--backend local` (real processes, real Toxiproxy) and once on
`--backend sim` (the same node code in virtual time), both through `tests.runs.run_ok`, which
also proves from each journal that its faults happened. Then their figures are set side by side.

What the bounds allow, and why (docs/running.md, "What the simulation leaves out"):

- mining is drawn from the scenario seed on both backends, so both mine about the same blocks;
  a few may differ where a crash or pause lands a little earlier or later in real time;
- forks come from propagation delay; the real network only adds to it (CPU, scheduling, TCP),
  so its reorgs may be a few more, never of another order;
- propagation on both is bounded below by physics: no block reaches a peer before one link's
  latency. Local may be slower than the simulation, by the CPU time of validation on a shared
  machine, but not by more than a fraction of a second on these small networks. It may also be
  faster: in the simulation a block reaches some of the miner's peers a link later than on
  local (happy-path, seed 1: n2's first block at n1 after 20 ms, at n3 and n4 after 40 ms,
  where local reaches all three at p50 28 ms), a gap not yet explained (issue 10's note).

These scenarios are not repeated in the local-only or sim-only scenario lists.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chaosnet.scenario.loader import load_scenario
from tests.runs import RUN_TIMEOUT_S, SCENARIOS, run_ok

pytestmark = [pytest.mark.slow, pytest.mark.timeout(RUN_TIMEOUT_S + 300)]

BLOCKS_REL = 0.10  # mined blocks within 10 % of each other
# reorg counts within 3 plus one per ten blocks mined (a busy machine adds forks: slow-node
# saw 1 reorg on sim, 3 on local at a load average of 4 and 5 at 10); deepest within 1 block
REORG_SLACK, REORGS_PER_BLOCK = 3, 0.1
PROPAGATION_SLACK_S = 0.5  # local p50 and p90 above the simulated ones by at most this
PHYSICS_SLACK_S = 0.005  # and never below one link's latency by more than the clocks' rounding
TPS_REL = 0.10  # confirmed throughput within 10 %


@pytest.mark.parametrize("scenario", ["happy-path.yaml", "crash-restart.yaml", "slow-node.yaml"])
def test_sim_and_local_agree_on_a_scenarios_figures(scenario: str, out: Path) -> None:
    (out / "local").mkdir()
    (out / "sim").mkdir()
    local = run_ok(scenario, out / "local")["metrics"]
    sim = run_ok(scenario, out / "sim", "--backend", "sim")["metrics"]
    side_by_side = {k: (local[k], sim[k]) for k in ("blocks", "final_height", "reorgs", "tps")}
    latency = load_scenario(SCENARIOS / scenario).links.latency or 0.0

    assert _within(local["blocks"], sim["blocks"], BLOCKS_REL), side_by_side
    reorg_slack = REORG_SLACK + REORGS_PER_BLOCK * sim["blocks"]
    assert abs(local["reorgs"]["count"] - sim["reorgs"]["count"]) <= reorg_slack, side_by_side
    # a final height is the blocks mined less the stale ones, and each extra race a busy machine
    # adds may leave one stale block (crash-restart once on a slow CI machine: 43 blocks, 8
    # reorgs, height 37 on local; 45, 1, 44 on sim)
    height_slack = abs(local["blocks"] - sim["blocks"]) + reorg_slack
    assert abs(local["final_height"] - sim["final_height"]) <= height_slack, side_by_side
    assert abs(local["reorgs"]["max_depth"] - sim["reorgs"]["max_depth"]) <= 1, side_by_side
    if sim["tps"] is not None:
        assert _within(local["tps"], sim["tps"], TPS_REL), side_by_side
    for percentile in ("p50", "p90"):
        real, simulated = local["propagation"][percentile], sim["propagation"][percentile]
        assert latency - PHYSICS_SLACK_S <= real <= simulated + PROPAGATION_SLACK_S, (
            percentile,
            local["propagation"],
            sim["propagation"],
        )


def _within(a: Any, b: Any, rel: float) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b))
