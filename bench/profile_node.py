"""Where a node's time goes: pyinstrument around one node that mines and relays under load.

    .venv/bin/python bench/profile_node.py [--tps 120] [--seconds 30] [--out bench/results]

Starts a peer and, under pyinstrument, a mining node; sends `--tps` transfers a second to the
peer (which relays them to the profiled miner) for `--seconds`, then stops the miner with SIGINT
so pyinstrument writes `profile-node.txt` (text, the slowest frames first) into `--out`.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from bench_perf import ACCOUNTS, DIFFICULTY, NodeRun, free_port, transfers, wait_for

PYINSTRUMENT = Path(sys.executable).parent / "pyinstrument"


def profiled_miner(data_dir: Path, out: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [str(PYINSTRUMENT), "-r", "text", "--show-all", "-o", str(out),
           "-m", "reference_node", "--port", str(port), "--node-id", "profiled",
           "--data-dir", str(data_dir), "--difficulty", str(DIFFICULTY),
           "--genesis-accounts", str(ACCOUNTS), "--mine", "--block-interval", "2",
           "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: httpx.get(url + "/health", timeout=1).status_code == 200, 60)
    return proc, f"127.0.0.1:{port}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tps", type=int, default=120)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    report = args.out / "profile-node.txt"
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        miner, address = profiled_miner(Path(tmp) / "miner", report)
        peer = NodeRun("peer", Path(tmp) / "peer", "--peers", address)
        try:
            txs = iter(transfers(args.tps * args.seconds))
            # one kept-alive connection: a fresh one per post held the loop under 300 a second
            with httpx.Client(timeout=10) as client:
                for _ in range(args.seconds):
                    second = time.monotonic()
                    for _ in range(args.tps):
                        client.post(peer.url + "/tx", json=next(txs).to_json())
                    time.sleep(max(0.0, 1 - (time.monotonic() - second)))
        finally:
            peer.stop()
            miner.send_signal(signal.SIGINT)
            miner.wait(timeout=60)
    print(f"profile written to {report}")


if __name__ == "__main__":
    main()
