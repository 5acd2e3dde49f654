"""The one httpx client the tests' own requests to nodes go through.

Building a client reads the CA bundle (about 80 ms of CPU, 0.2-0.6 s on a slow machine): built
per request, it made each `node.post` cost that much and fell inside the local backend's 0.3 s
latency window. It shares the harness's TLS context. No keep-alive: tests kill and restart
nodes, and a stale pooled connection must never answer for a new process.
"""

from __future__ import annotations

import httpx

from chaosnet import httpclient

HTTP = httpclient.client(limits=httpx.Limits(max_keepalive_connections=0))
