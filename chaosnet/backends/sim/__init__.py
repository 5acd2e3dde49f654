"""`--backend sim`: the nodes' real code on one virtual-time event loop (see `backend.py`)."""

from chaosnet.backends.sim.backend import SimBackend

__all__ = ["SimBackend"]
