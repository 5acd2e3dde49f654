"""The load generator's sustainable offered rate against real reference nodes.

    .venv/bin/python bench/bench_load.py [--runs 3] [--nodes 4] [--rates 100,200,400,800,1600]
                                         [--seconds 6]

Starts `--nodes` local `chaosnet-node` processes (full mesh, simulated mining, no Toxiproxy: the
figure is the generator's and the nodes' ceiling, not a fault's), then offers each rate for
`--seconds` and counts what left the tool. A rate is sustained when at least 95 % of the offered
transactions were submitted and at most 5 % were sent over a second late. Prints the median of
each figure over the runs and writes bench/results/load.json. Figures from a shared 2-core machine
are indicative; compare runs made on the same machine only.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from chaosnet.journal import Journal
from chaosnet.load.generator import LoadGenerator
from chaosnet.scenario.model import Load
from chaosnet.specs import Endpoint

NODE_BIN = Path(sys.executable).parent / "chaosnet-node"
ACCOUNTS = 200
RESULTS = Path(__file__).parent / "results" / "load.json"
SUSTAINED = 0.95


class LocalNodes:
    """Just enough of a `Backend` for the generator: where each node answers."""

    def __init__(self, ports: dict[str, int]) -> None:
        self.ports = ports

    def endpoint(self, name: str) -> Endpoint:
        return Endpoint(name, f"http://127.0.0.1:{self.ports[name]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running_nodes(count: int, data: Path) -> Iterator[LocalNodes]:
    ports = {f"n{i + 1}": free_port() for i in range(count)}
    procs = []
    for name, port in ports.items():
        peers = ",".join(f"127.0.0.1:{p}" for n, p in ports.items() if n != name)
        args = [str(NODE_BIN), "--port", str(port), "--node-id", name, "--peers", peers]
        args += ["--data-dir", str(data / name), "--genesis-accounts", str(ACCOUNTS)]
        args += ["--mine", "--mining", "simulated", "--hashrate", str(1 / count)]
        args += ["--block-interval", "1", "--difficulty", "8"]
        log = (data / f"{name}.log").open("w")
        procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT))
    try:
        for port in ports.values():
            wait_healthy(port)
        yield LocalNodes(ports)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a node still busy with the backlog
                proc.kill()
                proc.wait()


def wait_healthy(port: int, timeout: float = 120.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"node on port {port} never answered /health")


def offer(nodes: LocalNodes, rate: float, seconds: float, data: Path) -> dict[str, Any]:
    """Offer `rate` tx/s for `seconds`; what the generator managed to send, and how late."""
    journal = Journal(data / f"events-{rate:g}-{time.monotonic_ns()}.jsonl")
    load = Load(tps=rate, duration=seconds, accounts=ACCOUNTS)
    names = list(nodes.ports)
    generator = LoadGenerator(load, nodes, journal, lambda: names, seconds)  # type: ignore[arg-type]
    generator.start()
    time.sleep(seconds + 1.5)
    generator.stop()
    journal.close()
    stats = generator.stats.to_json()
    offered = stats["offered"]
    return {
        "offered": offered,
        "submitted": stats["submitted"],
        "late": stats["late"],
        "submitted_per_s": round(stats["submitted"] / seconds, 1),
        "sustained": stats["submitted"] >= SUSTAINED * offered
        and stats["late"] <= (1 - SUSTAINED) * offered,
    }


def one_run(nodes: LocalNodes, rates: list[float], seconds: float, data: Path) -> dict[str, Any]:
    by_rate = {f"{rate:g}": offer(nodes, rate, seconds, data) for rate in rates}
    sustained = [rate for rate in rates if by_rate[f"{rate:g}"]["sustained"]]
    best = max(by_rate.values(), key=lambda r: r["submitted_per_s"])
    return {
        "sustainable_offered_tps": max(sustained, default=0.0),
        "max_submitted_per_s": best["submitted_per_s"],
        "by_rate": by_rate,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=4)
    parser.add_argument("--rates", default="100,200,400,800,1600")
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    runs = []
    for k in range(args.runs):
        with (
            tempfile.TemporaryDirectory(prefix="bench-load-") as tmp,
            running_nodes(args.nodes, Path(tmp)) as nodes,
        ):
            runs.append(one_run(nodes, rates, args.seconds, Path(tmp)))
        print(f"run {k + 1}: {json.dumps(runs[-1])}", flush=True)
    medians = {
        "sustainable_offered_tps": statistics.median(r["sustainable_offered_tps"] for r in runs),
        "max_submitted_per_s": statistics.median(r["max_submitted_per_s"] for r in runs),
        "submitted_per_s_by_rate": {
            f"{rate:g}": statistics.median(
                r["by_rate"][f"{rate:g}"]["submitted_per_s"] for r in runs
            )
            for rate in rates
        },
    }
    print(json.dumps(medians, indent=2))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    setup = {"nodes": args.nodes, "seconds": args.seconds, "rates": rates, "runs": args.runs}
    RESULTS.write_text(json.dumps({"setup": setup, "median": medians, "runs": runs}, indent=2))


if __name__ == "__main__":
    main()
