"""What groups of tests need from the machine, checked once per session before any of them runs.

A test whose need is missing is skipped on a developer's machine, with the fix as its reason
(`-ra` lists every skip). With `CI` set (`.ci/run` sets it) the same test errors instead: a green
CI run that skipped its Docker tests has not tested Docker. Needs come from where a test lives
and from its markers:

| tests                               | need                                                   |
|-------------------------------------|--------------------------------------------------------|
| `docker` marker or tests/docker/    | a Docker engine; toxiproxy-server; debootstrap (root)   |
|                                     | when the offline base image still has to be built      |
| tests/integration/                  | chaosnet-node starts; toxiproxy-server runs            |
| tests/fuzz/ (the node API fuzzer)   | chaosnet-node starts                                   |
| `browser` marker                    | chromium (scripts/install-host-packages.sh chromium)   |

The checks are chaosnet doctor's own (chaosnet/doctor.py), so the fix a test names is the one
`chaosnet doctor` prints.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import pytest

from chaosnet import doctor

TESTS = Path(__file__).resolve().parent
CHROMIUM = ("chromium", "/usr/bin/chromium")


def on_ci() -> bool:
    """CI systems set CI (to 1 or true; .ci/run sets 1); CI=0 or CI=false means a developer."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@functools.cache
def missing(need: str) -> str | None:
    """None when the machine has `need`, else what is wrong and the command that fixes it."""
    if need == "browser":
        if any(shutil.which(c) for c in CHROMIUM):
            return None
        return "chromium is missing; fix: scripts/install-host-packages.sh chromium (as root)"
    checks = {
        "docker": doctor.check_docker_engine,
        "toxiproxy": doctor.check_toxiproxy,
        "node": doctor.check_node_binary,
        "debootstrap": lambda: doctor.check_debootstrap(missing("docker") is None),
    }
    check = checks[need]()
    if check is None or check.ok:
        return None
    return f"{check.name}: {check.detail}; fix: {check.fix}"


def needs_of(item: pytest.Item) -> list[str]:
    where = Path(item.path).resolve()
    inside = [
        part for part in ("docker", "integration", "fuzz") if where.is_relative_to(TESTS / part)
    ]
    needs = []
    if item.get_closest_marker("docker") or "docker" in inside:
        needs += ["docker", "toxiproxy", "debootstrap"]
    if "integration" in inside:
        needs += ["node", "toxiproxy"]
    if "fuzz" in inside and "api" in where.name:
        needs += ["node"]
    if item.get_closest_marker("browser"):
        needs += ["browser"]
    return list(dict.fromkeys(needs))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives chromium (headless) against real output")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before any fixture (so no image is built for nothing): skip, or on CI fail, naming the fix."""
    problems = [p for need in needs_of(item) if (p := missing(need)) is not None]
    if not problems:
        return
    for problem in problems:
        _found[problem] = _found.get(problem, 0) + 1
    if on_ci():
        pytest.fail("CI must run this test, but " + "; ".join(problems), pytrace=False)
    pytest.skip("; ".join(problems))


_found: dict[str, int] = {}  # each missing need and how many tests it stopped


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Each missing need once, with its fix and the number of tests it stopped."""
    if not _found:
        return
    outcome = "failed" if on_ci() else "skipped"
    terminalreporter.section(f"missing on {'CI' if on_ci() else 'this machine'}")
    for problem, count in sorted(_found.items()):
        terminalreporter.write_line(f"{problem}  ({count} tests {outcome})")
