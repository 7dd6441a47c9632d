"""SWE-bench's own prebuilt images, pulled when they can be had, in place of dsfix's layers."""
from __future__ import annotations

import logging

from .docker_build import image_exists

log = logging.getLogger(__name__)

OFFICIAL = "swebench/sweb.eval.x86_64.{}"


def official_image(instance_id: str) -> str:
    """The prebuilt SWE-bench image name for an instance."""
    return OFFICIAL.format(instance_id.replace("__", "_1776_").lower()) + ":latest"


def try_official(client, instance_id: str) -> str | None:
    """Pull the prebuilt SWE-bench image; None when it cannot be had (offline, unknown)."""
    import docker.errors
    name = official_image(instance_id)
    if image_exists(client, name):
        return name
    try:
        repo, _, tag = name.rpartition(":")
        client.images.pull(repo, tag=tag)
        log.info(f"pulled {name}")
        return name
    except docker.errors.DockerException as e:
        log.info(f"official image {name} unavailable ({type(e).__name__}); building dsfix layers")
        return None
