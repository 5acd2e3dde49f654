"""The reference node: a small but faithful proof-of-work blockchain speaking HTTP-JSON P2P.

`core/` is sans-IO (no sockets, clocks, randomness or files of its own); `store/`, `p2p/` and `api/`
are the adapters that give it a database and a network.
"""

__version__ = "0.1.0"
