"""A stand-in for `chaosnet-node` speaking just enough of its CLI and API to test a backend.

It takes the node's flags, answers `/health` and `/status`, counts its starts in the data dir
(so a restart on the same data dir shows), and `/reach` says which `--peers` answer through
their proxies. Used until (and besides) the real node, so backend tests do not depend on it.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.request import urlopen


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--node-id", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--peers", default="")
    args, _ = parser.parse_known_args()
    starts_file = Path(args.data_dir) / "starts"
    starts = int(starts_file.read_text()) + 1 if starts_file.exists() else 1
    starts_file.write_text(str(starts))
    peers = [p for p in args.peers.split(",") if p]

    def reachable(peer: str) -> bool:
        try:
            with urlopen(f"http://{peer}/health", timeout=1) as response:
                return bool(response.status == 200)
        except OSError:
            return False

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/health":
                body: object = {"ok": True}
            elif self.path == "/status":
                body = {"node_id": args.node_id, "height": 0, "starts": starts, "argv": sys.argv}
            elif self.path == "/reach":
                body = {peer: reachable(peer) for peer in peers}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *a: object) -> None:
            pass

    ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
