"""`chaosnet doctor`: what each backend needs, whether this machine has it, and how to fix it.

Each check is a value (name, ok, detail, fix) so the CLI renders a table and tests assert on the
data. The local backend is the default; the exit code only depends on it.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass

from chaosnet import tools

DEFAULT_BACKEND = "local"


@dataclass(frozen=True)
class Check:
    backend: str
    name: str
    ok: bool
    detail: str
    fix: str = ""


def check_python() -> Check:
    ok = sys.version_info >= (3, 11)
    version = ".".join(map(str, sys.version_info[:3]))
    return Check("all", "Python >= 3.11", ok, version, "" if ok else "install Python 3.11 or newer")


def check_toxiproxy() -> Check:
    path = tools.toxiproxy_server()
    fix = "make install   (or: scripts/install-toxiproxy.sh .venv/bin)"
    if path is None:
        return Check("local", "toxiproxy-server", False, "not found on PATH or in the venv", fix)
    version = tools.toxiproxy_version(path)
    if version is None:
        return Check("local", "toxiproxy-server", False, f"{path} does not run", fix)
    return Check("local", "toxiproxy-server", True, f"{version} at {path}")


def check_node_binary() -> Check:
    """The reference node must start, not only exist: `--help` imports all of it."""
    cmd = tools.node_command()
    try:
        done = subprocess.run(
            [*cmd, "--help"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check("local", "chaosnet-node", False, f"does not start: {exc}", "make install")
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1][:120]
        return Check("local", "chaosnet-node", False, f"fails: {last}", "make install")
    return Check("local", "chaosnet-node", True, " ".join(cmd))


def check_docker_engine() -> Check:
    fix = "start the Docker engine (systemctl start docker) or set DOCKER_HOST"
    try:
        import docker

        client = docker.from_env(timeout=5)
        version = client.version().get("Version", "?")
        client.close()
    except Exception as exc:
        reason = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        return Check("docker", "Docker engine", False, f"unreachable: {reason}", fix)
    return Check("docker", "Docker engine", True, f"reachable, version {version}")


def check_images(engine_ok: bool) -> list[Check]:
    from chaosnet.backends.images import IMAGES, image_present

    fix = "chaosnet images build"
    if not engine_ok:
        return [Check("docker", f"image {ref}", False, "engine unreachable", fix) for ref in IMAGES]
    checks = []
    for ref in IMAGES:
        present = image_present(ref)
        detail = "present" if present else "missing (chaosnet run builds it when needed)"
        checks.append(Check("docker", f"image {ref}", present, detail, "" if present else fix))
    return checks


def run_checks() -> list[Check]:
    engine = check_docker_engine()
    return [
        check_python(),
        check_node_binary(),
        check_toxiproxy(),
        engine,
        *check_images(engine.ok),
    ]


def backend_usable(checks: list[Check], backend: str = DEFAULT_BACKEND) -> bool:
    return all(c.ok for c in checks if c.backend in ("all", backend))
