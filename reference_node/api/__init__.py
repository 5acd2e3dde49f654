"""The HTTP server side: one FastAPI app with two routers, one per audience.

app.py       the factory: routers, middleware, error handlers and the lifespan, nothing else
user.py      the user API (`/health`, `/status`, `/tx`, `/blocks/...`, ...)
peer.py      the peer protocol (`/p2p/...`) behind the ban check, and `PeerDoor`, its way past FastAPI
body.py      the body limit and byte counting (ASGI middleware), JSON reading
errors.py    every error answer is `{"error": "..."}`; handlers that make it so
schemas.py   what `/openapi.json` declares: hex patterns, bounds, bodies, error answers
"""

from .app import create_app

__all__ = ["create_app"]
