"""Free TCP ports for nodes and proxies on one host.

Ports are picked below the kernel's ephemeral range: a node restarted after a crash must get its
port back, and a port from the ephemeral range may meanwhile have become the source port of one of
the many outgoing connections the proxies open. Each candidate is bound once to check it is free,
then released, so a process started later can bind it (a small race the callers retry on).
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

LOWEST = 10000


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for outgoing source ports (Linux), or the IANA default elsewhere."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 49152, 65535


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_ports(count: int, host: str = "127.0.0.1", rng: random.Random | None = None) -> list[int]:
    """`count` distinct ports that are free now, outside the ephemeral range."""
    rng = rng or random.Random()
    low_ephemeral, high_ephemeral = ephemeral_range()
    if low_ephemeral - LOWEST > count * 4:
        low, high = LOWEST, low_ephemeral - 1
    else:  # an unusually wide ephemeral range: take ports above it, else anywhere
        low, high = (
            (high_ephemeral + 1, 65535) if 65535 - high_ephemeral > count * 4 else (1024, 65535)
        )
    chosen: list[int] = []
    seen: set[int] = set()
    for _ in range(count * 20 + 100):
        if len(chosen) == count:
            return chosen
        port = rng.randint(low, high)
        if port in seen:
            continue
        seen.add(port)
        if _bindable(host, port):
            chosen.append(port)
    raise OSError(f"could not find {count} free ports on {host} in {low}-{high}")
