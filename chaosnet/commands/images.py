"""`chaosnet images build`: build the node and Toxiproxy images (offline-capable)."""

from __future__ import annotations

import typer

from chaosnet.backends.images import IMAGES, ensure_images

images_app = typer.Typer(help="The container images of the docker backend.", no_args_is_help=True)


@images_app.command("build")
def build(
    force: bool = typer.Option(False, "--force", help="Rebuild even when the images exist."),
) -> None:
    """Build what is missing: offline from CHAOSNET_WHEELS / PIP_FIND_LINKS and a local Debian
    base, online from python:3.12-slim, PyPI and the published Toxiproxy image."""
    built = ensure_images(progress=typer.echo, force=force)
    if not built:
        typer.echo(f"images present: {', '.join(IMAGES)} (use --force to rebuild)")


def register(app: typer.Typer) -> None:
    app.add_typer(images_app, name="images")
