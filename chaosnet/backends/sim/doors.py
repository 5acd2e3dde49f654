"""A persona's identities on sim: each a virtual host of its node, answered in-process.

The `Listen` port of `reference_node.behaviors.listen` for the simulated world. Identity `k` of
node `eve` is the host `id<k>.eve.sim`; a request to it crosses the link to `eve` (latency, loss,
bandwidth and partitions apply, and it waits while `eve` is paused) and is answered as `eve`'s
work by the identity's `Reply`, or hung up on (a reset) when the persona gave none. A closed door,
or any door of a node that crashed (its persona's tasks unwind and close them), refuses
connections, as a closed port does.
"""

from __future__ import annotations

import itertools

from chaosnet.backends.sim.links import JSON_HEADERS, Answer, LinkLayer, Message, Responder
from reference_node.behaviors.listen import Door, Reply


class SimListen:
    def __init__(self, layer: LinkLayer, node: str, port: int) -> None:
        self.layer = layer
        self.node = node
        self.port = port
        self._numbers = itertools.count()

    async def __call__(self, reply: Reply | None) -> Door:
        host = f"id{next(self._numbers)}.{self.node}.sim"
        self.layer.open_door(host, self.node, _responder(reply))
        return Door(f"{host}:{self.port}", lambda: self.layer.close_door(host))


def _responder(reply: Reply | None) -> Responder:
    async def respond(message: Message) -> Answer:
        if reply is None:
            raise ConnectionResetError("the identity hung up")
        status, body = reply(message.method, message.target.decode("latin-1"), message.body)
        return status, JSON_HEADERS, body

    return respond
