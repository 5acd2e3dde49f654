"""A pruned node: headers for everything, bodies for the last N, still validating, SPV intact."""

from __future__ import annotations

import pytest

from reference_node.core import spv
from reference_node.core.tx import Transaction

pytestmark = pytest.mark.timeout(120)


def test_pruned_node_serves_headers_validates_new_blocks_and_spv_checks(
    spawn, chain_writer, tmp_path, wait
):
    hashes = chain_writer(tmp_path / "full", 200, tx_at=5)
    full = spawn(
        "full", "--mine", "--hashrate", "1", "--block-interval", "0.5", data_dir=tmp_path / "full"
    )
    pruned = spawn("pruned", "--prune", "20", "--peers", full.address)
    wait(lambda: pruned.height() >= 210, 60, "the pruned node past the mined blocks")
    wait(lambda: pruned.status()["tip"] == full.status()["tip"], 30, "the same tip as the miner")

    headers = pruned.get("/headers", params={"from": 0, "count": 10}).json()["headers"]
    assert [h["hash"] for h in headers[1:]] == hashes[:9]
    assert pruned.get("/blocks/height/5").status_code == 410
    assert pruned.get(f"/blocks/{hashes[4]}").status_code == 410
    assert pruned.get(f"/blocks/height/{pruned.height()}").status_code == 200

    transfer = next(t for t in full.get("/blocks/height/5").json()["txs"] if t["fee"] == 3)
    txid = Transaction.from_json(transfer).txid
    proof = full.get(f"/proof/{txid}").json()
    header = pruned.get("/headers", params={"from": 5, "count": 1}).json()["headers"][0]
    trusted = {k: header[k] for k in ("prev", "merkle_root", "timestamp", "bits", "nonce", "miner")}
    assert spv.verify_proof(proof, trusted)
    tampered = {**proof, "branch": ["00" * 32, *proof["branch"][1:]]}
    assert not spv.verify_proof(tampered, trusted)
    assert not spv.verify_proof({**proof, "txid": "ab" * 32}, trusted)
    assert pruned.get(f"/proof/{txid}").status_code == 410
