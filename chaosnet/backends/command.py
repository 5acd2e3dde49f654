"""The `chaosnet-node` arguments of one node (docs/architecture.md, "Command line").

Pure, so the local backend, the docker backend and `chaosnet compose` start nodes identically and
tests can compare argument lists without starting anything.
"""

from __future__ import annotations

from collections.abc import Sequence

from chaosnet.specs import ChainSpec, NodeSpec


def chain_args(chain: ChainSpec) -> list[str]:
    """Flags every node of a run shares, so they agree on genesis and block timing."""
    return [
        f"--difficulty={chain.difficulty}",
        f"--block-interval={chain.block_interval:g}",
        f"--mining={chain.mining}",
        f"--reward={chain.reward}",
        f"--genesis-accounts={chain.genesis_accounts}",
        f"--seed={chain.seed}",
    ]


def role_args(spec: NodeSpec, *, hold_mining: bool = False) -> list[str]:
    """Flags of this node's role: miner share, byzantine persona, pruning, anything extra.
    `hold_mining`: a miner waits for `POST /mining/start` (see `node_args`)."""
    args: list[str] = []
    if spec.mine:
        args += ["--mine", f"--hashrate={spec.hashrate:g}"]
        if hold_mining:
            args.append("--hold-mining")
    if spec.persona:
        args.append(f"--persona={spec.persona}")
        args += [f"--persona-arg={key}={value}" for key, value in spec.persona_args]
    if spec.prune is not None:
        args.append(f"--prune={spec.prune}")
    args += list(spec.extra_args)
    return args


def node_args(
    spec: NodeSpec,
    chain: ChainSpec,
    *,
    port: int,
    host: str,
    peers: Sequence[str],
    data_dir: str,
    advertise: str,
    dial_map: str | None,
    hold_mining: bool,
) -> list[str]:
    """Everything after the program name; `peers` are the addresses to dial (proxies).

    `hold_mining`: miners mine only once the runner calls `POST /mining/start` at its time zero,
    so no block is found before every node is up and every link is set, however long a backend
    takes to start them (twenty containers take far longer than twenty processes). A network
    started without the runner (`chaosnet compose`) has no one to call it."""
    args = [
        f"--port={port}",
        f"--host={host}",
        f"--node-id={spec.name}",
        f"--data-dir={data_dir}",
        f"--advertise={advertise}",
    ]
    if peers:
        args.append("--peers=" + ",".join(peers))
    if dial_map is not None:
        args.append(f"--dial-map={dial_map}")
    return args + chain_args(chain) + role_args(spec, hold_mining=hold_mining)
