"""The report's shaded fault windows, read from the journal's event records."""

from __future__ import annotations

from chaosnet.plan import Resume, describe_action
from chaosnet.report.series import Band, fault_bands
from chaosnet.scenario.model import LinkSettings, Pause


def fired(action: str, t: float) -> dict[str, object]:
    return {"kind": "event", "status": "done", "action": action, "t": t, "actual": t}


def test_a_slow_node_is_described_as_slowed_and_shaded_until_it_resumes() -> None:
    slow = describe_action(Pause("n4", 20.0, slow=LinkSettings(latency=0.8)))
    assert slow.startswith("slow node=n4")  # not "pause": the node runs, its links are slow
    assert describe_action(Pause("n4", 20.0)) == "pause node=n4, duration=20.0"
    records = [fired(slow, 10.0), fired(describe_action(Resume("n4")), 30.0)]
    assert fault_bands(records, 50.0, set()) == [Band("slow", "n4 slow", 10.0, 30.0, "n4")]


def test_runs_journalled_before_slow_had_its_own_word_still_show_the_band() -> None:
    old = "pause node=n4, duration=20.0, slow={'latency': 0.8}"
    records = [fired(old, 10.0), fired("resume node=n4", 30.0)]
    assert fault_bands(records, 50.0, set()) == [Band("slow", "n4 slow", 10.0, 30.0, "n4")]
