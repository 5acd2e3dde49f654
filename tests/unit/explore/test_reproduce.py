"""What chaos drew, written out: the explicit file pins the seed and plans the very partitions
and crashes the seed drew, at the same run times, with its chaos event drawing nothing more."""

from __future__ import annotations

from pathlib import Path

import pytest

from chaosnet.errors import UsageError
from chaosnet.explore.exploration import Exploration
from chaosnet.explore.faults import check_explorable, drawn_faults
from chaosnet.explore.reproduce import explicit_scenario
from chaosnet.plan import CutLinks, Plan, SetLinks, resolve
from chaosnet.scenario import load_scenario, load_scenario_text
from chaosnet.scenario.model import At, Crash, Heal

ROOT = Path(__file__).resolve().parents[3]
SCENARIO = ROOT / "scenarios" / "explore" / "reorg-mempool.yaml"


def _in_time(events: list[tuple[float, object]]) -> list[tuple[float, str]]:
    """Each action at its run time; a partition by the links it cuts, in any order."""
    shown = [
        (round(t, 3), repr(sorted(a.pairs)) if isinstance(a, CutLinks) else repr(a))
        for t, a in events
    ]
    return sorted(shown)


@pytest.mark.parametrize("seed", [1, 7, 10])
def test_the_explicit_file_plans_what_the_seed_drew(seed: int, tmp_path: Path) -> None:
    scenario = load_scenario(SCENARIO)
    drawn_plan = resolve(scenario, seed)
    faults = drawn_faults(drawn_plan)
    assert faults, f"seed {seed} draws faults"
    text = explicit_scenario(SCENARIO, seed, faults, "a test")
    assert text.startswith("# a test\n")
    explicit = load_scenario_text(text, "explicit.yaml")
    assert explicit.seed == seed
    replayed = resolve(explicit)
    assert replayed.edges == drawn_plan.edges and replayed.chain == drawn_plan.chain

    chaos_start = 2.0
    drawn = [
        (chaos_start + e.trigger.delay, e.action)  # type: ignore[union-attr]
        for e in drawn_plan.events
        if e.origin == "chaos" and isinstance(e.action, CutLinks | Heal | Crash)
    ]
    written = [
        (e.trigger.seconds, e.action)
        for e in replayed.events
        if isinstance(e.trigger, At) and isinstance(e.action, CutLinks | Heal | Crash)
    ]
    assert [e for e in replayed.events if e.origin != "timeline"] == []
    assert _in_time(written) == _in_time(drawn)


@pytest.mark.parametrize("seed", [17, 3])
def test_the_explicit_file_of_a_lossy_chaos_draws_the_same_losses(seed: int) -> None:
    """chaos.yaml's chaos event draws a loss for every directed link as well as crashes: the
    explicit file keeps the loss as a draw, and the seed gives every link the same one."""
    path = ROOT / "scenarios" / "chaos.yaml"
    scenario = load_scenario(path)
    check_explorable(scenario)
    drawn_plan = resolve(scenario, seed)
    replayed = resolve(
        load_scenario_text(explicit_scenario(path, seed, drawn_faults(drawn_plan), ""))
    )

    def losses(plan: Plan) -> list[tuple[str, object, object]]:
        return [(e.id, e.trigger, e.action) for e in plan.events if isinstance(e.action, SetLinks)]

    assert losses(drawn_plan) and losses(replayed) == losses(drawn_plan)
    crashes = [e for e in replayed.events if isinstance(e.action, Crash)]
    assert all(e.origin == "timeline" for e in crashes)  # the drawn ones, written out
    assert len(crashes) == 3 + sum(f.kind == "crash" for f in drawn_faults(drawn_plan))


def test_explore_refuses_what_it_cannot_write_out(tmp_path: Path) -> None:
    base = SCENARIO.read_text()
    second = "  - {at: 30s, name: lossy, chaos: {duration: 5s, loss: [1%, 2%]}}\n"
    lossy = base.replace("assertions:", second + "assertions:")
    with pytest.raises(UsageError, match="only on the first chaos event"):
        check_explorable(load_scenario_text(lossy))
    check_explorable(
        load_scenario_text(base.replace("crash_rate: 0.05", "crash_rate: 0.05, loss: [1%, 2%]"))
    )
    calm = base.replace("partition_rate: 0.1", "partition_rate: 0").replace(
        "crash_rate: 0.05", "crash_rate: 0"
    )
    with pytest.raises(UsageError, match="draws no random faults"):
        check_explorable(load_scenario_text(calm))
    waiting = base.replace("timeline:\n", "timeline:\n  - {until: converged, timeout: 5s}\n")
    with pytest.raises(UsageError, match="at:"):
        check_explorable(load_scenario_text(waiting))
    path = tmp_path / "calm.yaml"
    path.write_text(calm)
    with pytest.raises(UsageError):
        Exploration(path, tmp_path / "out")
