"""What a simulation cannot honour, refused before anything runs, at the place it is written.

The world runs every node in one process on virtual time, so some things of a real run have no
meaning in it (docs/running.md, "Simulation"):

    chain.mining: real          grinding takes CPU time, and CPU time is not virtual time
    slow: {cpu: …}              there is no CPU to share out: handling costs no virtual time
"""

from __future__ import annotations

from typing import Any

from chaosnet.backends.refusals import Problem, cpu_quotas


def unsimulable(data: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if (data.get("chain") or {}).get("mining") == "real":
        problems.append(
            (("chain", "mining"), "mining: real cannot run on --backend sim (CPU time is not "
             "virtual time); use mining: simulated")
        )  # fmt: skip
    for path in cpu_quotas(data):
        problems.append(
            (path, "a CPU quota has no meaning on --backend sim (handling costs no virtual "
             "time); slow the node's links only, or run on docker")
        )  # fmt: skip
    return problems
