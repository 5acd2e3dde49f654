"""`chaosnet-node`: parse the command line (contract in docs/architecture.md) and serve.

Usage errors, an unknown persona or an unusable data directory exit with code 2 and one line
saying what to fix. SIGTERM and Ctrl-C shut down gracefully (uvicorn runs the app's lifespan exit);
SIGKILL is safe because every acknowledged change is already committed to SQLite.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from pathlib import Path

import uvicorn

from .app import NodeApp
from .behaviors import PERSONAS, PersonaError, make_persona
from .core.params import ChainParams
from .node import NodeConfig
from .store import StoreError


def _address_list(value: str) -> tuple[str, ...]:
    items = tuple(a.strip() for a in value.split(",") if a.strip())
    for item in items:
        host, _, port = item.rpartition(":")
        if not host or not port.isdigit():
            raise argparse.ArgumentTypeError(f"{item!r} is not HOST:PORT")
    return items


def _key_value(value: str) -> tuple[str, str]:
    key, sep, val = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{value!r} is not KEY=VALUE")
    return key, val


def _positive_float(value: str) -> float:
    number = float(value)
    if number < 0:
        raise argparse.ArgumentTypeError(f"{value} must be >= 0")
    return number


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="chaosnet-node", description="chaosnet reference proof-of-work node (HTTP-JSON P2P)"
    )
    p.add_argument("--port", type=int, required=True, help="port to listen on")
    p.add_argument("--host", default="127.0.0.1", help="interface to listen on")
    p.add_argument("--peers", type=_address_list, default=(), help="HOST:PORT,... to dial as given")
    p.add_argument("--data-dir", type=Path, help="SQLite database directory (default: a temp dir)")
    p.add_argument("--node-id", help="this node's name on the network (default node-PORT)")
    p.add_argument("--advertise", help="HOST:PORT peers should know us by (default host:port)")
    p.add_argument("--dial-map", type=Path, help='JSON {"advertised host:port": "dial host:port"}')
    p.add_argument(
        "--bootstrap", type=_address_list, default=(), help="HOST:PORT,... to ask for peers"
    )
    p.add_argument("--mine", action="store_true", help="mine blocks")
    p.add_argument(
        "--hold-mining",
        action="store_true",
        help="with --mine: start mining only when POST /mining/start says so (the runner calls "
        "it at its time zero, once every node is up and its links are set)",
    )
    p.add_argument("--mining", choices=("real", "simulated"), default="simulated")
    p.add_argument("--hashrate", type=_positive_float, default=1.0, help="share of the network")
    p.add_argument("--block-interval", type=_positive_float, default=5.0, help="seconds")
    p.add_argument("--difficulty", type=int, default=16, help="leading zero bits of the PoW hash")
    p.add_argument("--seed", type=int, default=0, help="seeds the simulated block timer")
    p.add_argument("--genesis-accounts", type=int, default=100)
    p.add_argument("--reward", type=int, default=50, help="coinbase reward per block")
    p.add_argument("--prune", type=int, help="keep only the last N block bodies")
    p.add_argument("--max-peers", type=int, default=32)
    p.add_argument(
        "--eclipse-defence",
        choices=("on", "off"),
        default="on",
        help="on: --peers/--bootstrap neighbours keep reserved slots beyond --max-peers",
    )
    p.add_argument("--persona", default="honest", help=f"one of: {', '.join(sorted(PERSONAS))}")
    p.add_argument(
        "--persona-arg", type=_key_value, action="append", default=[], metavar="KEY=VALUE"
    )
    p.add_argument(
        "--persona-dormant",
        action="store_true",
        help="mine and relay honestly until POST /persona/activate turns the persona on",
    )
    p.add_argument(
        "--no-compact-blocks",
        dest="compact_blocks",
        action="store_false",
        help="send and ask for full blocks only (peers then relay full blocks to us)",
    )
    p.add_argument(
        "--verify-workers",
        type=int,
        default=0,
        help="processes that check the signatures of downloaded blocks (0, the default: on the "
        "event loop, which measured faster on a busy 2-core machine; see docs/performance.md)",
    )
    p.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    return p


def config_from_args(args: argparse.Namespace, parser: argparse.ArgumentParser) -> NodeConfig:
    if not 0 < args.port < 65536:
        parser.error(f"--port {args.port} is not a TCP port")
    if args.prune is not None and args.prune < 1:
        parser.error("--prune must keep at least 1 block body")
    if args.verify_workers < 0:
        parser.error("--verify-workers must be 0 or more")
    if args.max_peers < 1:
        parser.error("--max-peers must be at least 1")
    persona_args = dict(args.persona_arg)
    if len(persona_args) < len(args.persona_arg):
        parser.error("--persona-arg: each KEY may be given once")
    try:
        make_persona(args.persona, persona_args)
    except PersonaError as exc:
        parser.error(str(exc))
    try:
        ChainParams(args.difficulty, args.genesis_accounts, args.reward)
    except ValueError as exc:
        parser.error(str(exc))
    dial_map: dict[str, str] = {}
    if args.dial_map is not None:
        try:
            dial_map = json.loads(args.dial_map.read_text())
        except (OSError, ValueError) as exc:
            parser.error(f"--dial-map {args.dial_map}: {exc}")
        if not isinstance(dial_map, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in dial_map.items()
        ):
            parser.error(
                f'--dial-map {args.dial_map} must be a JSON object {{"host:port": "host:port"}}'
            )
    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix=f"chaosnet-node-{args.port}-"))
    return NodeConfig(
        port=args.port,
        host=args.host,
        data_dir=data_dir,
        node_id=args.node_id or f"node-{args.port}",
        advertise=args.advertise or "",
        peers=args.peers,
        bootstrap=args.bootstrap,
        dial_map=dial_map,
        mine=args.mine,
        hold_mining=args.hold_mining,
        compact_blocks=args.compact_blocks,
        verify_workers=args.verify_workers,
        mining=args.mining,
        hashrate=args.hashrate,
        block_interval=args.block_interval,
        difficulty=args.difficulty,
        seed=args.seed,
        genesis_accounts=args.genesis_accounts,
        reward=args.reward,
        prune=args.prune,
        max_peers=args.max_peers,
        eclipse_defence=args.eclipse_defence == "on",
        persona=args.persona,
        persona_args=persona_args,
        persona_dormant=args.persona_dormant,
    )


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    config = config_from_args(args, parser)
    logging.basicConfig(
        stream=sys.stderr,
        level=args.log_level.upper(),
        format=f"%(asctime)s {config.node_id} %(name)s %(levelname)s %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        node = NodeApp(config)
    except (StoreError, PersonaError) as exc:
        print(f"chaosnet-node: error: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(
        node.http,
        host=config.host,
        port=config.port,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
        h11_max_incomplete_event_size=64 * 1024,
    )
    return 0
