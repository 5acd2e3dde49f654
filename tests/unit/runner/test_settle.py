"""The end of a run: whether the honest nodes converged. Miners keep mining while the runner
reads the nodes one last time, so a block can be at one node and still on its way to another."""

from __future__ import annotations

from pathlib import Path

from chaosnet.journal import Journal
from chaosnet.observe.observer import NodeView, Observer
from chaosnet.run.settle import record_final_state, wait_for_agreement


class Tips(Observer):
    """An observer whose last answers are the given tips, fresh now."""

    def __init__(self, journal: Journal, tips: dict[str, str]) -> None:
        self.journal = journal
        self.tips = tips

    def snapshot(self) -> dict[str, NodeView]:
        now = self.journal.now()
        return {n: NodeView(n, now, 5, tip, 5, 1, 0) for n, tip in self.tips.items()}


def test_a_block_still_crossing_the_links_at_the_last_poll_does_not_undo_agreement(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "events.jsonl")
    agreeing = Tips(journal, {"n1": "a", "n2": "a"})
    assert wait_for_agreement(agreeing, journal, lambda: ["n1", "n2"], budget=1.0)
    assert not wait_for_agreement(
        Tips(journal, {"n1": "a", "n2": "b"}), journal, lambda: ["n1", "n2"], budget=0.3
    )
    one_block_ahead = Tips(journal, {"n1": "b", "n2": "a"})
    record_final_state(one_block_ahead, journal, ["n1", "n2"], agreed=True)
    record_final_state(one_block_ahead, journal, ["n1", "n2"], agreed=False)
    record_final_state(agreeing, journal, ["n1", "n2"], agreed=False)
    assert [r["converged"] for r in journal.records("final_state")] == [True, False, True]
