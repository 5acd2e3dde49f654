"""The container images chaosnet needs, and building the missing ones without a registry.

Two modes, chosen by `detect_mode()`:

- offline — a wheel folder is given (`CHAOSNET_WHEELS`, else `PIP_FIND_LINKS`) or no registry
  answers: the node image starts from `chaosnet/base:bookworm` (scripts/build-base-image.sh,
  debootstrap from the machine's Debian mirror) and pip installs only from the wheel folder; the
  Toxiproxy image wraps the local static `toxiproxy-server`.
- online — `python:3.12-slim` and PyPI for the node image, the published Toxiproxy image.

Everything is labelled `chaosnet=1`. Building needs a source checkout (pyproject.toml, docker/).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from docker.errors import ImageNotFound

import docker
from chaosnet import httpclient, tools
from chaosnet.errors import BackendError
from docker import DockerClient

NODE_IMAGE = "chaosnet/node:latest"
TOXIPROXY_IMAGE = f"chaosnet/toxiproxy:{tools.TOXIPROXY_PINNED}"
IMAGES = (NODE_IMAGE, TOXIPROXY_IMAGE)
BASE_IMAGE_OFFLINE = "chaosnet/base:bookworm"
BASE_IMAGE_ONLINE = "python:3.12-slim"
TOXIPROXY_PUBLISHED = f"ghcr.io/shopify/toxiproxy:{tools.TOXIPROXY_PINNED}"
LABELS = {"chaosnet": "1"}
SOURCE_LABEL = "chaosnet.source"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BuildMode:
    offline: bool
    wheels: Path | None
    reason: str


def engine(timeout: float = 600) -> DockerClient:
    """The Docker engine of the environment (DOCKER_HOST, …); a build wants a long timeout."""
    try:
        return docker.from_env(timeout=timeout)
    except Exception as exc:
        raise BackendError(
            f"the Docker engine is unreachable ({exc}); start it or set DOCKER_HOST"
        ) from exc


def image_present(ref: str) -> bool:
    client = engine()
    try:
        client.images.get(ref)
    except ImageNotFound:
        return False
    finally:
        client.close()
    return True


def wheel_folder() -> Path | None:
    """The offline wheel folder: `CHAOSNET_WHEELS`, else the first `PIP_FIND_LINKS` directory
    that holds wheels (a machine may point pip at an empty folder: building from it would fail
    inside pip, far from the cause)."""
    candidates = [os.environ.get("CHAOSNET_WHEELS", "")]
    candidates += os.environ.get("PIP_FIND_LINKS", "").split()
    for candidate in candidates:
        if candidate and any(Path(candidate).glob("*.whl")):
            return Path(candidate).resolve()
    return None


def registry_reachable(timeout: float = 3.0) -> bool:
    """Whether Docker Hub's registry answers at all (401 counts: it is there)."""
    try:
        with httpclient.client(timeout=timeout) as http:
            http.get("https://registry-1.docker.io/v2/")
    except httpx.HTTPError:
        return False
    return True


def detect_mode() -> BuildMode:
    wheels = wheel_folder()
    if wheels is not None:
        return BuildMode(True, wheels, f"wheel folder {wheels}")
    if not registry_reachable():
        return BuildMode(True, None, "no container registry reachable")
    return BuildMode(False, None, "registry reachable")


def source_root() -> Path:
    """The checkout holding pyproject.toml and docker/ (images are built from source)."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "docker").is_dir():
        return root
    raise BackendError(
        "building images needs a chaosnet source checkout (pyproject.toml and docker/); "
        f"none found above {Path(__file__).parent}"
    )


def source_digest() -> str:
    """A hash of what goes into the node image, so an image built from older code is rebuilt."""
    root = source_root()
    digest = hashlib.sha256()
    files = [root / "pyproject.toml", root / "docker" / "node.Dockerfile"]
    for package in ("chaosnet", "reference_node"):
        files += sorted((root / package).rglob("*.py"))
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def node_image_current(digest: str) -> bool:
    client = engine()
    try:
        labels = client.images.get(NODE_IMAGE).labels or {}
    except ImageNotFound:
        return False
    finally:
        client.close()
    return bool(labels.get(SOURCE_LABEL) == digest)


def ensure_images(progress: Progress = print, force: bool = False) -> list[str]:
    """Build (or, online, pull) every image that is missing or, for the node, out of date.

    Returns the references built.
    """
    digest = source_digest()
    missing = [ref for ref in IMAGES if force or not image_present(ref)]
    if NODE_IMAGE not in missing and not node_image_current(digest):
        progress("images: the node image predates the source; rebuilding it")
        missing.append(NODE_IMAGE)
    if not missing:
        return []
    mode = detect_mode()
    progress(
        f"images: {', '.join(missing)} to build ({'offline' if mode.offline else 'online'}: "
        f"{mode.reason})"
    )
    if TOXIPROXY_IMAGE in missing:
        build_toxiproxy_image(progress, mode)
    if NODE_IMAGE in missing:
        build_node_image(progress, mode, digest)
    return missing


def build_toxiproxy_image(progress: Progress, mode: BuildMode) -> None:
    client = engine()
    try:
        if not mode.offline:
            try:
                progress(f"toxiproxy: pulling {TOXIPROXY_PUBLISHED}")
                image = client.images.pull(TOXIPROXY_PUBLISHED)
                image.tag(TOXIPROXY_IMAGE)
                return
            except Exception as exc:  # fall back to the local binary below
                progress(f"toxiproxy: pull failed ({exc}); building from the local binary")
        binary = tools.toxiproxy_server()
        if binary is None:
            raise BackendError(
                "no toxiproxy-server binary to put in the image; run scripts/install-toxiproxy.sh"
            )
        with tempfile.TemporaryDirectory(prefix="chaosnet-toxiproxy-") as ctx:
            shutil.copy2(binary, Path(ctx) / "toxiproxy-server")
            dockerfile = source_root() / "docker" / "toxiproxy.Dockerfile"
            shutil.copy2(dockerfile, Path(ctx) / "Dockerfile")
            _build(client, Path(ctx), TOXIPROXY_IMAGE, {}, progress)
    finally:
        client.close()


def build_base_image(progress: Progress, force: bool = False) -> None:
    """Run scripts/build-base-image.sh (debootstrap + docker import; needs root)."""
    if not force and image_present(BASE_IMAGE_OFFLINE):
        return
    script = source_root() / "scripts" / "build-base-image.sh"
    progress(f"base: building {BASE_IMAGE_OFFLINE} with {script.name} (about a minute)")
    env = {**os.environ, "BASE_IMAGE": BASE_IMAGE_OFFLINE, "FORCE": "1" if force else "0"}
    result = subprocess.run(
        [str(script)], env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    for line in result.stdout.splitlines():
        progress(line)
    if result.returncode != 0:
        raise BackendError(f"{script} failed:\n{result.stderr.strip()[-2000:]}")


def build_node_image(progress: Progress, mode: BuildMode, digest: str) -> None:
    root = source_root()
    if mode.offline:
        if mode.wheels is None:
            raise BackendError(
                "no registry is reachable and no wheel folder is set: set CHAOSNET_WHEELS (or "
                "PIP_FIND_LINKS) to a folder holding the project's dependencies as wheels"
            )
        build_base_image(progress)
    with tempfile.TemporaryDirectory(prefix="chaosnet-node-") as tmp:
        ctx = Path(tmp)
        wheels = ctx / "wheels"
        progress("node: building the project wheel")
        _pip(["wheel", "--no-deps", "-w", str(wheels), str(root)], mode)
        if mode.offline:
            progress(f"node: collecting dependencies from {mode.wheels}")
            (project_wheel,) = wheels.glob("chaosnet-*.whl")
            _pip(["download", "-d", str(wheels), str(project_wheel)], mode)
        shutil.copy2(root / "docker" / "node.Dockerfile", ctx / "Dockerfile")
        base = BASE_IMAGE_OFFLINE if mode.offline else BASE_IMAGE_ONLINE
        args = {"BASE_IMAGE": base, "PIP_OFFLINE": "1" if mode.offline else "0"}
        client = engine()
        try:
            _build(client, ctx, NODE_IMAGE, args, progress, {SOURCE_LABEL: digest})
        finally:
            client.close()


def _pip(args: list[str], mode: BuildMode) -> None:
    env = dict(os.environ)
    if mode.wheels is not None:
        env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(mode.wheels))
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args]
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)
    if result.returncode != 0:
        raise BackendError(f"{' '.join(cmd)} failed:\n{result.stderr.strip()[-2000:]}")


def _build(
    client: DockerClient,
    ctx: Path,
    tag: str,
    args: dict[str, str],
    progress: Progress,
    labels: dict[str, str] | None = None,
) -> None:
    """`docker build` through the SDK, streaming the steps as progress lines."""
    start = time.monotonic()
    progress(f"{tag}: docker build")
    stream = client.api.build(
        path=str(ctx),
        tag=tag,
        buildargs=args,
        labels=LABELS | (labels or {}),
        rm=True,
        forcerm=True,
        decode=True,
    )
    for chunk in stream:
        if "error" in chunk:
            raise BackendError(f"building {tag} failed: {chunk['error'].strip()}")
        line = str(chunk.get("stream", "")).strip()
        if line.startswith("Step ") or line.startswith("Successfully"):
            progress(f"{tag}: {line}")
    progress(f"{tag}: built in {time.monotonic() - start:.0f}s")
