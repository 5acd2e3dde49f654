"""What the run says about its load: offered, submitted, late, never sent and confirmed, side by
side in results.json and in the tps assertion, on the in-memory backend (no sockets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from chaosnet.load.accounting import describe, kept_up
from chaosnet.plan import resolve
from chaosnet.runner import Runner, RunResult
from chaosnet.scenario.model import Assertion, ChainSettings, Load, NodeDef, Scenario
from tests.fakes import FakeBackend
from tests.unit.load.load_fakes import BatchingBackend, SlowBackend

TPS_ASSERTION = Assertion("tps", "tps", (("min", 1),))


def run_load(tmp_path: Path, backend: FakeBackend, load: Load, duration: float) -> RunResult:
    spec = Scenario(
        name="load",
        duration=duration,
        nodes=(NodeDef("n1", hashrate=1.0), NodeDef("n2")),
        chain=ChainSettings(difficulty=4, block_interval=1.0),
        load=load,
        assertions=(TPS_ASSERTION,),
    )
    return Runner(resolve(spec), backend, tmp_path, transport=backend.transport).run()


def tps_detail(result: RunResult) -> str:
    [tps] = [a for a in result.results["assertions"] if a["kind"] == "tps"]
    return str(tps["detail"])


def test_a_load_the_nodes_took_whole_is_reported_offered_submitted_confirmed(
    tmp_path: Path,
) -> None:
    backend = BatchingBackend()
    # the load ends half-way through the run: the last batch is not racing the run's end
    result = run_load(tmp_path, backend, Load(tps=200, duration=0.5, accounts=10), duration=1.0)
    load: dict[str, Any] = result.results["metrics"]["load"]
    assert load["offered"] == load["submitted"] == 100
    assert (load["late"], load["unsent"], load["confirmed"]) == (0, 0, 0)  # fake blocks hold no tx
    assert tps_detail(result) == "100 of 100 offered submitted (100 %), 0 confirmed"
    assert backend.txs_received == 100
    assert backend.tx_requests <= 30  # batches, not one request per transaction


def test_a_generator_that_falls_behind_says_so_in_the_verdict(tmp_path: Path) -> None:
    # one node without a batch endpoint taking 50ms per tx: at most ~20 tx/s leave the tool
    backend = SlowBackend(delay=0.05)
    result = run_load(tmp_path, backend, Load(tps=200, accounts=1), duration=1.5)
    load = result.results["metrics"]["load"]
    assert load["offered"] == 300
    assert load["submitted"] < 100
    assert load["unsent"] == load["offered"] - load["submitted"]
    detail = tps_detail(result)
    assert detail.startswith(f"{load['submitted']} of 300 offered submitted (")
    assert "never sent" in detail
    assert "confirmed" in detail and "of 300 submitted" not in detail


def test_the_words_of_a_shortfall() -> None:
    counts = {"offered": 22_500, "submitted": 11_038, "late": 9_988, "unsent": 11_462}
    assert describe(counts) == (
        "11,038 of 22,500 offered submitted (49 %), 9,988 late, 11,462 never sent"
    )
    assert not kept_up(counts)
    assert kept_up({"offered": 100, "submitted": 99, "late": 2})
    assert not kept_up({"offered": 100, "submitted": 100, "late": 40})  # all sent, but late


def test_an_older_results_file_without_offered_still_reads() -> None:
    assert describe({"submitted": 12, "rejected": 1}) == "12 submitted, 1 rejected"
