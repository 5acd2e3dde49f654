"""The container images chaosnet needs and whether the engine has them."""

from __future__ import annotations

NODE_IMAGE = "chaosnet/node:latest"
TOXIPROXY_IMAGE = "chaosnet/toxiproxy:2.12.0"
IMAGES = (NODE_IMAGE, TOXIPROXY_IMAGE)


def image_present(ref: str) -> bool:
    import docker
    from docker.errors import ImageNotFound

    client = docker.from_env(timeout=10)
    try:
        client.images.get(ref)
    except ImageNotFound:
        return False
    finally:
        client.close()
    return True
