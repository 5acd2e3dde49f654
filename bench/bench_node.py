"""Reference node figures: tx validation, admission into a full mempool, block connection, sync
time and memory of a 10k chain.

    .venv/bin/python bench/bench_node.py [--runs 3] [--blocks 10000]

Prints the median of each figure over the runs and writes bench/results/node.json. Numbers from a
shared 2-core machine are indicative; compare runs made on the same machine only.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

from reference_node.core.chain import ChainState, MemorySource
from reference_node.core.keys import account_address, account_key
from reference_node.core.mempool import Mempool
from reference_node.core.mining import build_block, solve
from reference_node.core.params import GENESIS_TIMESTAMP, ChainParams
from reference_node.core.state import AccountState
from reference_node.core.tx import Transaction, make_transfer
from reference_node.store import Store

NODE_BIN = Path(sys.executable).parent / "chaosnet-node"
DIFFICULTY = 8
ACCOUNTS = 50
PARAMS = ChainParams(DIFFICULTY, ACCOUNTS)
RESULTS = Path(__file__).parent / "results" / "node.json"


def txs_validated_per_second(count: int = 2000) -> float:
    """Signature, nonce and funds checks of fresh transactions entering a mempool."""
    txs = [
        make_transfer(account_key(i % ACCOUNTS), account_address(0), 1, 1, i // ACCOUNTS)
        for i in range(count)
    ]
    chain = ChainState(PARAMS, MemorySource())
    pool = Mempool(max_size=count)
    start = time.perf_counter()
    for tx in txs:
        pool.add(tx, chain.state)
    return count / (time.perf_counter() - start)


def full_mempool_admission_us(size: int = 10_000, count: int = 5_000) -> float:
    """Microseconds to admit a transaction into a full mempool of `size` one-transaction senders,
    each admission paying a higher fee than everything there and so evicting one (the search
    for the cheapest leaf). Unsigned transfers, admitted as already verified and funded: the
    figure is the mempool's bookkeeping alone."""
    fees = random.Random(1)

    def transfer(sender: int, fee: int) -> Transaction:
        return Transaction(f"{sender:064x}", "00" * 32, 1, fee, 0, "ab" * 64)

    state, pool = AccountState({}), Mempool(max_size=size)
    for sender in range(size):
        pool.add(transfer(sender, fees.randrange(1, 1000)), state, verified=True, check_funds=False)
    rich = [transfer(size + i, 1000 + i) for i in range(count)]
    start = time.perf_counter()
    for tx in rich:
        pool.add(tx, state, verified=True, check_funds=False)
    return 1e6 * (time.perf_counter() - start) / count


def mine_blocks(count: int, txs_per_block: int = 0) -> list:
    chain = ChainState(PARAMS, source := MemorySource())
    blocks = []
    for i in range(1, count + 1):
        txs = [
            make_transfer(account_key(a), account_address(0), 1, 1, i - 1)
            for a in range(1, txs_per_block + 1)
        ]
        now = GENESIS_TIMESTAMP + 1000 * i
        block = solve(build_block(chain, chain.tip, txs, "cc" * 32, now))
        source.record(chain.add_block(block, now))
        blocks.append(block)
    return blocks


def blocks_connected_per_second(blocks: list, workdir: Path) -> float:
    """Full validation plus the SQLite transaction of each block, as a node does it."""
    store = Store(workdir / "connect.sqlite3")
    chain = ChainState(PARAMS, store)
    store.load(chain)
    now = GENESIS_TIMESTAMP + 1000 * (len(blocks) + 1)
    start = time.perf_counter()
    for block in blocks:
        store.apply(chain.add_block(block, now), chain)
    elapsed = time.perf_counter() - start
    store.close()
    return len(blocks) / elapsed


def write_chain(path: Path, count: int) -> None:
    path.mkdir(parents=True)
    store = Store(path / "chain.sqlite3")
    chain = ChainState(PARAMS, store)
    store.load(chain)
    for i in range(1, count + 1):
        now = GENESIS_TIMESTAMP + 1000 * i
        block = solve(build_block(chain, chain.tip, (), "cc" * 32, now))
        store.apply(chain.add_block(block, now), chain)
    store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_node(name: str, data_dir: Path, *flags: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [str(NODE_BIN), "--port", str(port), "--node-id", name, "--data-dir", str(data_dir),
           "--difficulty", str(DIFFICULTY), "--genesis-accounts", str(ACCOUNTS), *flags]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{name} did not start")


def sync_run(chain_dir: Path, workdir: Path, count: int) -> tuple[float, float]:
    """Seconds for a fresh node to reach `count` from one peer, and its RSS (MiB) then."""
    source_dir = workdir / "source"
    shutil.copytree(chain_dir, source_dir)
    source, source_url = start_node("source", source_dir)
    fresh = None
    try:
        fresh, url = start_node("fresh", workdir / "fresh", "--peers", source_url[7:])
        start = time.monotonic()
        while time.monotonic() - start < 600:
            if httpx.get(url + "/status", timeout=5).json()["height"] >= count:
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("sync did not finish in 600 s")
        elapsed = time.monotonic() - start
        rss = psutil.Process(fresh.pid).memory_info().rss / 2**20
        return elapsed, rss
    finally:
        for proc in (source, fresh):
            if proc is not None:
                proc.kill()
                proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--blocks", type=int, default=10_000)
    args = parser.parse_args()
    runs: dict[str, list[float]] = {
        "txs_validated_per_s": [], "full_mempool_admission_us": [], "blocks_connected_per_s": [],
        "blocks_with_20_txs_connected_per_s": [], "sync_seconds": [], "sync_rss_mib": [],
    }  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="bench-node-") as tmp:
        root = Path(tmp)
        empty_blocks, full_blocks = mine_blocks(2000), mine_blocks(200, txs_per_block=20)
        chain_dir = root / "chain"
        write_chain(chain_dir, args.blocks)
        for run in range(args.runs):
            workdir = root / f"run{run}"
            workdir.mkdir()
            runs["txs_validated_per_s"].append(txs_validated_per_second())
            runs["full_mempool_admission_us"].append(full_mempool_admission_us())
            runs["blocks_connected_per_s"].append(
                blocks_connected_per_second(empty_blocks, workdir)
            )
            (workdir / "connect.sqlite3").unlink()
            runs["blocks_with_20_txs_connected_per_s"].append(
                blocks_connected_per_second(full_blocks, workdir)
            )
            seconds, rss = sync_run(chain_dir, workdir, args.blocks)
            runs["sync_seconds"].append(seconds)
            runs["sync_rss_mib"].append(rss)
            print(f"run {run + 1}: " + ", ".join(f"{k}={v[-1]:.1f}" for k, v in runs.items()))
    medians = {k: round(statistics.median(v), 2) for k, v in runs.items()}
    result = {"blocks": args.blocks, "runs": args.runs, "median": medians, "all": runs}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in medians.items():
        print(f"{key:>36}: {value}")
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
