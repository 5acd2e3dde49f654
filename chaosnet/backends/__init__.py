"""Backends run nodes and apply faults behind one protocol (`base.Backend`)."""

from __future__ import annotations

from chaosnet.backends.base import Backend
from chaosnet.errors import UsageError

BACKENDS = ("local", "docker", "sim")


def check_backend(name: str) -> None:
    """A UsageError naming the choices when `name` is no backend."""
    if name not in BACKENDS:
        raise UsageError(f"unknown backend {name!r}; choose one of: {', '.join(BACKENDS)}")


def make_backend(name: str) -> Backend:
    """The backend called `name`; imported lazily so `local` never needs the docker SDK."""
    check_backend(name)
    if name == "local":
        from chaosnet.backends.local import LocalBackend

        return LocalBackend()
    if name == "docker":
        from chaosnet.backends.docker import DockerBackend

        return DockerBackend()
    from chaosnet.backends.sim import SimBackend

    return SimBackend()
