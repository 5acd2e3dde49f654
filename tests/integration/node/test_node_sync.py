"""Headers-first sync of long chains, catching up, and crashing in the middle of it."""

from __future__ import annotations

import psutil
import pytest

pytestmark = pytest.mark.timeout(180)


def test_fresh_node_syncs_2100_blocks_headers_first(spawn, chain_copy, long_chain, wait):
    _, hashes = long_chain
    source = spawn("source", data_dir=chain_copy("source"))
    assert source.height() == 2100
    fresh = spawn("fresh", "--peers", source.address)
    status = wait(lambda: fresh.height() == 2100 and fresh.status(), 90, "fresh node at 2100")
    assert status["tip"] == hashes[-1] == source.status()["tip"]
    assert status["best_header_height"] == 2100
    assert fresh.get("/blocks/height/1000").json()["hash"] == hashes[999]
    events = fresh.get("/events", params={"since": 0, "limit": 1000}).json()
    assert {e["source"] for e in events["events"] if e["kind"] == "block"} == {"peer"}


def test_node_behind_catches_up(spawn, chain_writer, tmp_path, wait):
    ahead = chain_writer(tmp_path / "ahead", 300)
    behind = chain_writer(tmp_path / "behind", 200)
    assert behind == ahead[:200], "the builder is deterministic, so the chains share a prefix"
    leader = spawn("leader", data_dir=tmp_path / "ahead")
    laggard = spawn("laggard", "--peers", leader.address, data_dir=tmp_path / "behind")
    wait(lambda: laggard.status()["tip"] == ahead[-1], 60, "the laggard at the leader's tip")
    events = laggard.get("/events").json()["events"]
    fetched = [e["height"] for e in events if e["kind"] == "block"]
    assert sorted(fetched) == list(range(201, 301)), "only the missing 100 blocks were fetched"
    assert not [e for e in events if e["kind"] == "reorg"], "catching up is not a reorg"


def test_sigkill_mid_sync_then_restart_finishes_with_nothing_lost(
    spawn, chain_copy, long_chain, wait
):
    _, hashes = long_chain
    source = spawn("source", data_dir=chain_copy("source"))
    victim = spawn("victim", "--peers", source.address)
    seen = wait(lambda: (h := victim.height()) >= 300 and h, 60, "the victim part-way")
    victim.kill()
    assert seen < 2100, "the kill must land mid-sync for this test to mean anything"
    victim.start()
    assert victim.height() >= seen, "blocks acknowledged before the kill are still there"
    wait(lambda: victim.status()["tip"] == hashes[-1], 90, "the victim finishing the sync")
    mid = victim.get(f"/blocks/height/{seen}").json()
    assert mid["hash"] == hashes[seen - 1]


def test_acknowledged_transaction_survives_sigkill(spawn, wait):
    from reference_node.core.keys import account_address, account_key
    from reference_node.core.tx import make_transfer

    node = spawn("solo")
    tx = make_transfer(account_key(1), account_address(2), 10, 1, 0)
    assert node.post("/tx", json=tx.to_json()).status_code == 202
    node.kill()
    node.start()
    found = node.get(f"/tx/{tx.txid}").json()
    assert found["tx"] == tx.to_json() and found["confirmations"] == 0
    assert node.status()["mempool_size"] == 1


def test_signature_workers_die_with_a_killed_node(spawn):
    """SIGKILL (a crash) skips the pool's shutdown: the workers must not live on as orphans."""
    node = spawn("n1", "--verify-workers", "2")
    workers = psutil.Process(node.proc.pid).children()
    assert len(workers) == 2, workers
    node.kill()
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive, f"orphaned signature workers: {alive}"
