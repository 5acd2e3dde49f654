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


def role_args(spec: NodeSpec) -> list[str]:
    """Flags of this node's role: miner share, byzantine persona, pruning, anything extra."""
    args: list[str] = []
    if spec.mine:
        args += ["--mine", f"--hashrate={spec.hashrate:g}"]
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
) -> list[str]:
    """Everything after the program name; `peers` are the addresses to dial (proxies)."""
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
    return args + chain_args(chain) + role_args(spec)
