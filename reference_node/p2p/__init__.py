"""The client side of the peer protocol: who we talk to, and the loops that keep us in sync."""

from .manager import PeerManager

__all__ = ["PeerManager"]
