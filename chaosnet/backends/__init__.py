"""Backends run nodes and apply faults behind one protocol (`base.Backend`)."""

from __future__ import annotations

from chaosnet.backends.base import Backend
from chaosnet.errors import UsageError

BACKENDS = ("local", "docker", "sim")


def make_backend(name: str) -> Backend:
    """The backend called `name`; imported lazily so `local` never needs the docker SDK."""
    if name == "local":
        from chaosnet.backends.local import LocalBackend

        return LocalBackend()
    if name == "docker":
        from chaosnet.backends.docker import DockerBackend

        return DockerBackend()
    if name == "sim":
        from chaosnet.backends.sim import SimBackend

        return SimBackend()
    raise UsageError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")
