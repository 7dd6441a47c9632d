"""The disk guard: no build starts when the Docker data root has less free space than
``min_free_gb`` (``DSFIX_MIN_FREE_GB``, default 10)."""
from __future__ import annotations

import os
import shutil

from ..base import EnvError


class DiskSpaceError(EnvError):
    """Not enough free space on the Docker data root to build safely."""


def min_free_gb() -> float:
    return float(os.environ.get("DSFIX_MIN_FREE_GB", "10"))


def free_bytes(client) -> tuple[str, int | None]:
    root = client.info().get("DockerRootDir") or "/var/lib/docker"
    try:
        return root, shutil.disk_usage(root).free
    except OSError:
        return root, None   # a remote engine: its disk cannot be seen from here


def check_disk(client, min_gb: float | None = None) -> None:
    need = min_free_gb() if min_gb is None else min_gb
    root, free = free_bytes(client)
    if free is not None and free < need * 2**30:
        raise DiskSpaceError(
            f"refusing to build: {free / 2**30:.1f} GiB free on the Docker data root {root}, "
            f"below the {need:g} GiB threshold (free space with `dsfix env prune`, or set DSFIX_MIN_FREE_GB)")
