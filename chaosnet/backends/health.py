"""Whether a node answers `GET /health`: how both backends check that pause and resume took hold.

A paused node's kernel still accepts the TCP connection, so only an answer proves it runs; silence
for `SILENCE` seconds is taken as paused (a running node answers /health in milliseconds).
"""

from __future__ import annotations

import time

import httpx

from chaosnet import httpclient
from chaosnet.errors import HarnessFault

SILENCE = 0.3
RESUME_WITHIN = 5.0


def answers(url: str, timeout: float) -> bool:
    try:
        with httpclient.client(timeout=timeout) as http:
            return http.get(url).status_code == 200
    except httpx.HTTPError:
        return False


def expect_silent(name: str, url: str) -> None:
    """A paused node must not answer."""
    if answers(url, SILENCE):
        raise HarnessFault(f"node {name!r} was paused but still answers {url}")


def expect_answers(name: str, url: str, within: float = RESUME_WITHIN) -> None:
    """A resumed node must answer again soon."""
    deadline = time.monotonic() + within
    while not answers(url, 1.0):
        if time.monotonic() > deadline:
            raise HarnessFault(
                f"node {name!r} was resumed but does not answer {url} in {within:g}s"
            )
        time.sleep(0.05)
