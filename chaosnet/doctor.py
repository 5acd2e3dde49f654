"""`chaosnet doctor`: what each backend needs, whether this machine has it, and how to fix it.

Each check is a value (name, ok, detail, fix) so the CLI renders a table and tests assert on the
data. The local backend is the default; the exit code only depends on it.
"""

from __future__ import annotations

import os
import shutil
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


DEBOOTSTRAP_FIX = (
    "scripts/install-host-packages.sh debootstrap  "
    "(as root: apt-get update && apt-get install -y debootstrap)"
)


def check_debootstrap(engine_ok: bool) -> Check | None:
    """Offline, the node image starts from a Debian base that scripts/build-base-image.sh makes
    with debootstrap (as root); only worth a line when that base still has to be built."""
    from chaosnet.backends.images import BASE_IMAGE_OFFLINE, image_present, wheel_folder

    if not engine_ok or image_present(BASE_IMAGE_OFFLINE):
        return None
    if wheel_folder() is None:
        from chaosnet.backends.images import registry_reachable

        if registry_reachable():
            return None  # online: the node image starts from python:3.12-slim instead
    name = "debootstrap (to build the base image)"
    path = shutil.which("debootstrap")
    if path is None:
        return Check(
            "docker", name, False, f"missing; {BASE_IMAGE_OFFLINE} is not built", DEBOOTSTRAP_FIX
        )
    if os.geteuid() != 0:
        detail = f"{path}, but debootstrap needs root"
        return Check("docker", name, False, detail, "sudo scripts/build-base-image.sh")
    return Check("docker", name, True, f"{path} ({BASE_IMAGE_OFFLINE} is built on first use)")


def run_checks() -> list[Check]:
    engine = check_docker_engine()
    debootstrap = check_debootstrap(engine.ok)
    return [
        check_python(),
        check_node_binary(),
        check_toxiproxy(),
        engine,
        *check_images(engine.ok),
        *([debootstrap] if debootstrap else []),
    ]


def backend_usable(checks: list[Check], backend: str = DEFAULT_BACKEND) -> bool:
    return all(c.ok for c in checks if c.backend in ("all", backend))
