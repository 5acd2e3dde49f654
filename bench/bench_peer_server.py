"""CPU a node spends answering one peer message: the receiving side of every relay, announcement
and poll, which a 120-TPS network pays about twenty times a second per node (docs/performance.md).

    .venv/bin/python bench/bench_peer_server.py [--runs 3] [--messages 2000] [--out FILE]

One real node process on 127.0.0.1 gets `--messages` `/p2p/tx` batches, then as many `/p2p/block`
announcements, from the node's own peer client (a fresh connection per message, as peers send).
The handlers' own work is kept small so that what is measured is what every message pays (HTTP,
routing, the ban check, JSON): each batch carries one transaction the node already holds (what
most relayed copies are in a mesh), each announcement a block it already has. The figure is the
node process's CPU (user + system) per message in ms; a fresh node per run, medians over runs.
Writes bench/results/peer-server.json (or `--out`) with every run and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.bench_perf import PARAMS, NodeRun, load_average, nodes, transfers  # noqa: E402
from reference_node.core.chain import ChainState, MemorySource  # noqa: E402
from reference_node.core.mining import build_block, solve  # noqa: E402
from reference_node.core.params import GENESIS_TIMESTAMP  # noqa: E402
from reference_node.metrics import Metrics  # noqa: E402
from reference_node.p2p.client import PeerClient  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "peer-server.json"


def messages() -> dict[str, tuple[str, dict[str, Any]]]:
    """Path and payload of each kind of message, both valid for a node on PARAMS' genesis."""
    chain = ChainState(PARAMS, MemorySource())
    block = solve(build_block(chain, chain.tip, (), "cc" * 32, GENESIS_TIMESTAMP + 1000))
    return {
        "tx_batch": ("/p2p/tx", {"txs": [transfers(1)[0].to_json()]}),
        "block": ("/p2p/block", {"block": block.to_json()}),
    }


async def node_cpu_ms_per_message(node: NodeRun, path: str, payload: Any, count: int) -> float:
    """The node's process CPU per message over `count` copies of one message; the first copy,
    which does the real work (admitting the tx, connecting the block), is sent before timing."""
    client = PeerClient(Metrics(), "bench", "127.0.0.1:1")
    process = psutil.Process(node.proc.pid)
    try:
        await client.call(node.address, path, payload)
        before = process.cpu_times()
        for _ in range(count):
            await client.call(node.address, path, payload)
        after = process.cpu_times()
    finally:
        await client.close()
    return 1000 * ((after.user - before.user) + (after.system - before.system)) / count


def run_once(work: Path, count: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    with nodes() as start:
        node = start("node", work / "node")
        for kind, (path, payload) in messages().items():
            figures[f"{kind}_cpu_ms_per_message"] = asyncio.run(
                node_cpu_ms_per_message(node, path, payload, count)
            )
    figures["load_average"] = load_average()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    started = time.monotonic()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-peer-server-") as tmp:
        for run in range(args.runs):
            (Path(tmp) / f"run{run}").mkdir()
            runs.append(run_once(Path(tmp) / f"run{run}", args.messages))
            print(f"run {run + 1}: " + ", ".join(f"{k}={v:.3f}" for k, v in runs[-1].items()))
    medians = {k: round(statistics.median(r[k] for r in runs), 3) for k in runs[0]}
    result = {"messages": args.messages, "runs": args.runs, "median": medians, "all": runs,
              "seconds": round(time.monotonic() - started, 1)}  # fmt: skip
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for key, value in medians.items():
        print(f"{key:>30}: {value}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
