"""Issue 13's performance figures, each the median of repeated runs: `make bench`.

    .venv/bin/python bench/bench_perf.py [--runs 3]      # BENCH_QUICK=1: 1 run, smaller sizes

  * fresh sync of 10,000 blocks from 4 peers on 127.0.0.1 (seconds; target < 30), and over
    100 ms links through Toxiproxy (target < 60);
  * RSS of a node holding 1,000 / 10,000 blocks and a 5,000-tx mempool (MiB; target < 100 at 10k);
  * fresh sync of blocks with 100 txs each, signatures checked on the event loop vs in worker
    processes (`--verify-workers 0` vs the default);
  * body bytes on the wire per confirmed transaction, full blocks vs compact blocks;
  * CPU of an idle node in a mesh of 5 (each peer of the other 4), ms per second: the periodic
    getheaders and mempool announcements that every run pays before any load;
  * CPU per relayed transaction: a node's process time admitting transfers sent as peers relay
    them (`/p2p/tx` batches of RELAY_BATCH), in milliseconds per transaction; and the same for a
    node that also sends each on to a peer;
  * CPU of the peer client per message it sends (an empty `/p2p/inv`), in milliseconds;
  * block propagation p50/p90 to 90 % of 10 nodes on 100 ms links, degree 4, idle and at 120 TPS
    (`chaosnet run scenarios/bench/propagation-*.yaml`, read from results.json; one run each,
    its percentiles are already over every block of the run);
  * with --pairs N, scenarios/scale-20.yaml on the local and the docker backend back to back, N
    pairs, each pair on its own seed (the scenario's or --first-seed, then +1, ...):
    propagation, stale blocks among those found during the timeline, reorgs, time until every
    node was healthy; and per backend the median p90 and the pooled stale rate.
Writes bench/results/perf.json and prints a table. Real node processes on 127.0.0.1; figures
from a shared machine are indicative, so the load average is recorded beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil

from chaosnet.backends.toxiproxy_server import ToxiproxyServer
from chaosnet.faults.toxiproxy import ProxySpec, ToxiproxyClient
from chaosnet.report.series import first_seen, main_chain
from chaosnet.scenario import load_scenario
from chaosnet.specs import LinkFault
from reference_node.core.chain import ChainState
from reference_node.core.keys import account_address, account_key
from reference_node.core.mining import build_block, solve
from reference_node.core.params import GENESIS_TIMESTAMP, ChainParams
from reference_node.core.tx import Transaction, make_transfer
from reference_node.metrics import Metrics
from reference_node.p2p.client import PeerClient
from reference_node.store import Store

ROOT = Path(__file__).resolve().parents[1]
NODE_BIN = Path(sys.executable).parent / "chaosnet-node"
CHAOSNET_BIN = Path(sys.executable).parent / "chaosnet"
DIFFICULTY = 8
ACCOUNTS = 100
PARAMS = ChainParams(DIFFICULTY, ACCOUNTS)
RESULTS = Path(__file__).parent / "results" / "perf.json"
SCALE_20 = ROOT / "scenarios" / "scale-20.yaml"
MEMPOOL_TXS = 5000
"""100 senders x 50 nonces: within the mempool's 64-nonce gap per sender."""


def transfers(count: int) -> list[Transaction]:
    """`count` valid transfers, round-robin over the genesis accounts, nonces from 0."""
    return [
        make_transfer(
            account_key(i % ACCOUNTS), account_address((i + 1) % ACCOUNTS), 1, 1, i // ACCOUNTS
        )
        for i in range(count)
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_chain(path: Path, count: int, txs_per_block: int = 0) -> Path:
    """A chain of `count` blocks straight into a data dir (each block `txs_per_block` txs)."""
    path.mkdir(parents=True)
    store = Store(path / "chain.sqlite3")
    chain = ChainState(PARAMS, store)
    store.load(chain)
    for i in range(1, count + 1):
        txs = [
            make_transfer(account_key(a), account_address((a + 1) % ACCOUNTS), 1, 1, i - 1)
            for a in range(txs_per_block)
        ]
        now = GENESIS_TIMESTAMP + 1000 * i
        block = solve(build_block(chain, chain.tip, txs, "cc" * 32, now))
        store.apply(chain.add_block(block, now), chain)
    store.close()
    return path


class NodeRun:
    """One chaosnet-node process on a free port."""

    def __init__(self, name: str, data_dir: Path, *flags: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = f"127.0.0.1:{self.port}"
        cmd = [str(NODE_BIN), "--port", str(self.port), "--node-id", name,
               "--data-dir", str(data_dir), "--difficulty", str(DIFFICULTY),
               "--genesis-accounts", str(ACCOUNTS), "--log-level", "warning", *flags]  # fmt: skip
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: httpx.get(self.url + "/health", timeout=1).status_code == 200, 30)

    def status(self) -> dict[str, Any]:
        return dict(httpx.get(self.url + "/status", timeout=10).json())

    def metric(self, name: str) -> float:
        for line in httpx.get(self.url + "/metrics", timeout=10).text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
        return 0.0

    def rss_mib(self) -> float:
        return float(psutil.Process(self.proc.pid).memory_info().rss / 2**20)

    def workers_uss_mib(self) -> float:
        """Memory the signature workers (the node's forked children) add: their unique set
        size, since the pages they share with the node are counted in the node's RSS."""
        children = psutil.Process(self.proc.pid).children(recursive=True)
        return float(sum(c.memory_full_info().uss for c in children) / 2**20)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


@contextmanager
def nodes() -> Iterator[Callable[..., NodeRun]]:
    started: list[NodeRun] = []

    def start(name: str, data_dir: Path, *flags: str) -> NodeRun:
        started.append(NodeRun(name, data_dir, *flags))
        return started[-1]

    try:
        yield start
    finally:
        for node in started:
            node.stop()


def wait_for(predicate: Callable[[], Any], timeout: float) -> float:
    """Seconds until `predicate()` is truthy (polled every 50 ms); RuntimeError after timeout."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            if predicate():
                return time.monotonic() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"not done within {timeout} s")


def fresh_sync(
    chain_dir: Path, work: Path, peers: int, *flags: str, latency_ms: float = 0
) -> tuple[float, float]:
    """Seconds for an empty node to download `chain_dir` from `peers` copies, and its RSS then.
    With `latency_ms`, the empty node reaches each source through a Toxiproxy proxy that delays
    what it sends (a request, as on a scenario's links: docs/architecture.md), and its dial map
    sends it there for any address it learns too."""
    with nodes() as start, contextlib.ExitStack() as cleanup:
        sources = []
        for i in range(peers):
            shutil.copytree(chain_dir, work / f"source{i}")
            sources.append(start(f"source{i}", work / f"source{i}"))
        height = sources[0].status()["height"]
        dials = {s.address: s.address for s in sources}
        if latency_ms:
            server = ToxiproxyServer.start()
            cleanup.callback(server.stop)
            with ToxiproxyClient(server.api_url) as client:
                specs = [ProxySpec(f"to-{s.address}", f"127.0.0.1:{free_port()}", s.address)
                         for s in sources]  # fmt: skip
                client.populate(specs)
                for spec in specs:
                    client.set_fault(spec.name, LinkFault(latency_ms=latency_ms))
            dials = {spec.upstream: spec.listen for spec in specs}
        (work / "dial-map.json").write_text(json.dumps(dials))
        peer_list = ",".join(dials.values())
        fresh = start(
            "fresh", work / "fresh", "--peers", peer_list,
            "--dial-map", str(work / "dial-map.json"), *flags,
        )  # fmt: skip
        seconds = wait_for(lambda: fresh.status()["height"] >= height, 600)
        return seconds, fresh.rss_mib()


def rss_with_mempool(chain_dir: Path, work: Path) -> tuple[float, float]:
    """RSS (MiB) of a node on `chain_dir` once MEMPOOL_TXS transactions wait in its mempool, and
    that of its signature workers."""
    shutil.copytree(chain_dir, work / "node")
    with nodes() as start:
        node = start("node", work / "node", "--verify-workers", "2")
        txs = transfers(MEMPOOL_TXS)
        for i in range(0, len(txs), 1000):
            body = {"txs": [t.to_json() for t in txs[i : i + 1000]]}
            httpx.post(node.url + "/p2p/tx", json=body, timeout=60).raise_for_status()
        wait_for(lambda: node.status()["mempool_size"] >= MEMPOOL_TXS, 60)
        return node.rss_mib(), node.workers_uss_mib()


RELAY_BATCH = 60
"""A peer's batch at 120 TPS when it announced every 0.5 s (TX_BATCH_INTERVAL until 2026-11-30,
1.0 s since): kept at 60 so the figure stays comparable with the earlier ones."""


def relay_cpu_ms_per_tx(work: Path, count: int, onward: bool = False) -> float:
    """Process CPU (user + system) of one node per transaction it admits from relayed batches:
    the HTTP request, parsing, signature check, mempool, persistence and queueing the relay.
    With `onward` the node has a peer and the figure includes sending each tx on to it (its
    `/p2p/tx` batches through the peer client), measured until the peer holds them all."""
    with nodes() as start:
        node = start("node", work / "node")
        if onward:
            peer = start("peer", work / "peer", "--peers", node.address)
            wait_for(lambda: node.status()["peers"], 20)
        batches = [transfers(count)[i : i + RELAY_BATCH] for i in range(0, count, RELAY_BATCH)]
        bodies = [json.dumps({"txs": [t.to_json() for t in b]}).encode() for b in batches]
        process = psutil.Process(node.proc.pid)
        before = process.cpu_times()
        with httpx.Client(base_url=node.url, timeout=60) as client:
            for body in bodies:
                answer = client.post("/p2p/tx", content=body)
                answer.raise_for_status()
                if answer.json()["rejected"]:
                    raise RuntimeError(f"relayed transfers refused: {answer.text[:200]}")
        if onward:
            wait_for(lambda: peer.status()["mempool_size"] >= count, 120)
        after = process.cpu_times()
        spent = (after.user - before.user) + (after.system - before.system)
        return 1000 * spent / count


def client_cpu_ms_per_message(work: Path, count: int = 600) -> float:
    """CPU (ms) this process spends per peer message sent with the node's own peer client (an
    empty `/p2p/inv`, a fresh connection each, as every peer message): the sending side of
    every relay, announcement and poll."""

    async def send_all(address: str) -> float:
        client = PeerClient(Metrics(), "bench", "127.0.0.1:1")
        try:
            started = time.process_time()
            for _ in range(count):
                await client.call(address, "/p2p/inv", {"blocks": []})
            return 1000 * (time.process_time() - started) / count
        finally:
            await client.close()

    with nodes() as start:
        return asyncio.run(send_all(start("node", work / "node").address))


def idle_cpu_ms_per_s(work: Path, seconds: float = 20.0) -> float:
    """Median process CPU (ms per second) of 5 idle nodes that find each other through one."""
    with nodes() as start:
        hub = start("hub", work / "hub")
        mesh = [hub, *(start(f"n{i}", work / f"n{i}", "--peers", hub.address) for i in range(4))]
        wait_for(lambda: all(len(n.status()["peers"]) == 4 for n in mesh), 60)
        processes = [psutil.Process(n.proc.pid) for n in mesh]
        before = [sum(p.cpu_times()[:2]) for p in processes]
        time.sleep(seconds)
        spent = [sum(p.cpu_times()[:2]) - b for p, b in zip(processes, before, strict=True)]
        return 1000 * statistics.median(spent) / seconds


def bytes_per_confirmed_tx(work: Path, count: int, *flags: str) -> float:
    """Peer-protocol body bytes per transaction for a miner and a peer carrying `count` transfers
    (sent to the peer) until the miner's blocks confirm them on the peer. Every body either node
    received, minus the bench's own `POST /tx` bodies; user-API answers are sent, not received,
    so polling does not count."""
    with nodes() as start:
        miner = start("miner", work / "miner", "--mine", "--block-interval", "1", *flags)
        peer = start("peer", work / "peer", "--peers", miner.address, *flags)
        wait_for(lambda: miner.status()["peers"], 20)
        txs = transfers(count)
        posted = 0
        for tx in txs:
            body = json.dumps(tx.to_json()).encode()
            posted += len(body)
            headers = {"content-type": "application/json"}
            httpx.post(peer.url + "/tx", content=body, headers=headers, timeout=10)
        last = txs[-ACCOUNTS:]

        def confirmed() -> bool:
            answers = (httpx.get(f"{peer.url}/tx/{t.txid}", timeout=10).json() for t in last)
            return all(a.get("confirmations", 0) >= 1 for a in answers)

        wait_for(confirmed, 120)
        received = sum(n.metric("chaosnet_bytes_in_total") for n in (miner, peer))
        return (received - posted) / count


def run_scenario(
    scenario: Path,
    out: Path,
    backend: str,
    timeout: float | None = None,
    seed: int | None = None,
) -> tuple[dict[str, Any], Path]:
    """One `chaosnet run` of `scenario` as a user starts it (a non-zero exit is a missed target,
    read in its results): its `results.json` and its run directory."""
    command = [str(CHAOSNET_BIN), "run", str(scenario), "--backend", backend, "--out", str(out)]
    proc = subprocess.run(
        command if seed is None else [*command, "--seed", str(seed)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )
    found = list(out.glob("*/results.json"))
    if not found:
        raise SystemExit(f"the run under {out} wrote no results (exit {proc.returncode}): "
                         f"{proc.stderr[-2000:]}")  # fmt: skip
    return json.loads(found[0].read_text(encoding="utf-8")), found[0].parent


def propagation(
    scenario: Path, out: Path, backend: str = "local", seed: int | None = None
) -> dict[str, Any]:
    """One `chaosnet run` of `scenario`: propagation p50/p90 (s), stale blocks, reorgs, seconds
    from starting the nodes until all were healthy (the journal's `nodes_up`), and the run's load
    average at its end."""
    results, run_dir = run_scenario(scenario, out, backend, seed=seed)
    if results["verdict"] == "error":  # no timeline or no final chain to read figures from
        raise SystemExit(
            f"{scenario.name} on {backend} (seed {results['seed']}): {results['error']}"
        )
    metrics = results["metrics"]
    events = [json.loads(line) for line in (run_dir / "events.jsonl").read_text().splitlines()]
    healthy = next(e["seconds"] for e in events if e["kind"] == "nodes_up")
    mined, stale = timeline_blocks(events)
    return {
        "verdict": results["verdict"],
        "seed": results["seed"],
        "p50": metrics["propagation"]["p50"],
        "p90": metrics["propagation"]["p90"],
        "blocks": metrics["propagation"]["blocks"],
        "stale": stale,
        "mined": mined,
        "reorgs": metrics["reorgs"]["count"],
        "healthy_s": healthy,
        "load_average": load_average(),
    }


def timeline_blocks(events: list[dict[str, Any]]) -> tuple[int, int]:
    """Blocks first seen during the timeline, and how many of them the final chain left out.

    A backend that settles longer mines on after the timeline: counting only the timeline's
    blocks compares two backends over the same stretch of the same block schedule.
    """
    settle = next(e["t"] for e in events if e["kind"] == "phase" and e["phase"] == "settle")
    found = {h for h, t in first_seen(events).items() if 0 <= t < settle}
    return len(found), len(found - {b["hash"] for b in main_chain(events)})


def backend_pairs(count: int, out: Path, first_seed: int | None = None) -> dict[str, Any]:
    """`count` runs of scale-20 on local and then on docker, seeds counting up from
    `first_seed` (the scenario's by default): each pair mines one block schedule on both
    backends, and the seeds vary the near-ties that decide the stale blocks."""
    base = load_scenario(SCALE_20).seed if first_seed is None else first_seed
    pairs = []
    for i in range(count):
        seed = base + i
        pair: dict[str, Any] = {
            backend: propagation(SCALE_20, out / f"pair{i}-{backend}", backend, seed)
            for backend in ("local", "docker")
        }
        pair["p90_ratio"] = round(pair["docker"]["p90"] / pair["local"]["p90"], 2)
        print(f"pair {i + 1} of {count} (seed {seed}): " + ", ".join(
            f"{b} p90 {pair[b]['p90']} s stale {pair[b]['stale']} of {pair[b]['mined']}"
            for b in ("local", "docker")
        ), flush=True)  # fmt: skip
        pairs.append(pair)
    summary: dict[str, Any] = {}
    for backend in ("local", "docker"):
        mined = sum(p[backend]["mined"] for p in pairs)
        stale = sum(p[backend]["stale"] for p in pairs)
        summary[backend] = {
            "p90_median": statistics.median(p[backend]["p90"] for p in pairs),
            "stale": stale,
            "mined": mined,
            "stale_rate": round(stale / mined, 4) if mined else None,
        }
    local_rate, docker_rate = summary["local"]["stale_rate"], summary["docker"]["stale_rate"]
    summary["p90_ratio_median"] = statistics.median(p["p90_ratio"] for p in pairs)
    summary["stale_ratio"] = round(docker_rate / local_rate, 2) if local_rate else None
    return {"pairs": pairs, "summary": summary}


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def run_once(run: int, quick: bool, chains: dict[str, Path], work: Path) -> dict[str, float]:
    """One run of every node-level figure; keys are the result names."""
    figures: dict[str, float] = {}
    sync_blocks = "sync" if not quick else "sync_quick"
    figures["sync_4_peers_s"], figures["sync_4_peers_rss_mib"] = fresh_sync(
        chains[sync_blocks], work / "sync", 4
    )
    figures["sync_4_peers_100ms_s"], _ = fresh_sync(
        chains[sync_blocks], work / "sync-100ms", 4, latency_ms=100
    )
    figures["rss_1k_blocks_5k_mempool_mib"], _ = rss_with_mempool(chains["1k"], work / "rss1k")
    figures["rss_10k_blocks_5k_mempool_mib"], figures["signature_workers_uss_mib"] = (
        rss_with_mempool(chains[sync_blocks], work / "rss10k")
    )
    for label, workers in (("serial", "0"), ("parallel", str(min(4, os.cpu_count() or 1)))):
        figures[f"sync_100tx_blocks_{label}_s"], _ = fresh_sync(
            chains["txs"], work / f"txs-{label}", 1, "--verify-workers", workers
        )
    txs = 300 if quick else 1000
    for label, flags in (("full", ("--no-compact-blocks",)), ("compact", ())):
        figures[f"bytes_per_tx_{label}"] = bytes_per_confirmed_tx(
            work / f"bytes-{label}", txs, *flags
        )
    figures["idle_cpu_ms_per_s"] = idle_cpu_ms_per_s(work / "idle")
    relayed = 1200 if quick else 3000
    figures["relay_cpu_ms_per_tx"] = relay_cpu_ms_per_tx(work / "relay", relayed)
    figures["relay_onward_cpu_ms_per_tx"] = relay_cpu_ms_per_tx(work / "onward", relayed, True)
    figures["client_cpu_ms_per_message"] = client_cpu_ms_per_message(work / "client")
    figures["load_average"] = load_average()
    print(f"run {run + 1}: " + ", ".join(f"{k}={v:.2f}" for k, v in figures.items()), flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    parser.add_argument(
        "--runs", type=int, default=1 if quick else 3, help="runs of the node figures; 0: none"
    )
    parser.add_argument("--no-scenarios", action="store_true", help="skip the chaosnet runs")
    parser.add_argument(
        "--pairs",
        type=int,
        default=0,
        metavar="N",
        help="also N pairs of scale-20 on local then docker, one seed per pair (needs `make images`)",
    )
    parser.add_argument(
        "--first-seed", type=int, metavar="S", help="the first pair's seed (default: scale-20's)"
    )
    args = parser.parse_args()
    sizes = {"sync": 10_000, "sync_quick": 2_000, "1k": 1_000}
    tx_blocks = 30 if quick else 100
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-perf-") as tmp:
        root = Path(tmp)
        chains = {
            name: write_chain(root / f"chain-{name}", count)
            for name, count in sizes.items()
            if args.runs and name != ("sync" if quick else "sync_quick")
        }
        if args.runs:
            chains["txs"] = write_chain(root / "chain-txs", tx_blocks, txs_per_block=100)
        runs = []
        for run in range(args.runs):
            (root / f"run{run}").mkdir()
            runs.append(run_once(run, quick, chains, root / f"run{run}"))
        medians = (
            {k: round(statistics.median(r[k] for r in runs), 2) for k in runs[0]} if runs else {}
        )
        scenarios: dict[str, Any] = {}
        if not args.no_scenarios:
            for name in ("idle", "load"):
                scenario = ROOT / "scenarios" / "bench" / f"propagation-{name}.yaml"
                scenarios[name] = propagation(scenario, root / f"scenario-{name}")
        pairs = (
            backend_pairs(args.pairs, root / "scale-20", args.first_seed) if args.pairs else None
        )
    result = {
        "quick": quick,
        "runs": args.runs,
        "sizes": {**sizes, "tx_blocks": tx_blocks},
        "median": medians,
        "all": runs,
        "propagation": scenarios,
        "docker_beside_local": pairs,
        "seconds": round(time.monotonic() - started, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print_table(medians, scenarios, pairs)
    print(f"written to {RESULTS} in {result['seconds']} s")


def print_table(
    medians: dict[str, float], scenarios: dict[str, Any], pairs: dict[str, Any] | None
) -> None:
    print(f"{'figure':>40} | median")
    for key, value in medians.items():
        print(f"{key:>40} | {value}")
    if medians:
        serial, parallel = (
            medians["sync_100tx_blocks_serial_s"],
            medians["sync_100tx_blocks_parallel_s"],
        )
        print(f"{'signature check speed-up (serial/parallel)':>40} | {serial / parallel:.2f}x")
    for name, run in scenarios.items():
        print(
            f"{name:>40} | {run['verdict']}: p50 {run['p50']} / p90 {run['p90']} s, "
            f"stale {run['stale']} of {run['mined']}, reorgs {run['reorgs']}, "
            f"healthy after {run['healthy_s']:.1f} s, load {run['load_average']}"
        )
    if pairs:
        summary = pairs["summary"]
        for backend in ("local", "docker"):
            s = summary[backend]
            print(
                f"{'scale-20 ' + backend:>40} | p90 median {s['p90_median']} s, "
                f"stale {s['stale']} of {s['mined']} ({s['stale_rate']})"
            )
        print(
            f"{'scale-20 docker / local':>40} | p90 {summary['p90_ratio_median']}x (median of "
            f"{len(pairs['pairs'])} pairs), stale rate {summary['stale_ratio']}x"
        )


if __name__ == "__main__":
    main()
