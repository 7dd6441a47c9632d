"""Make sure an image is there: use it, pull it, or (for dsfix's base) build it offline."""
from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .base import EnvError

log = logging.getLogger(__name__)
BASE_IMAGE = "dsfix/base:bookworm"
# less: tests that page output run it (pallets/click's echo_via_pager); adding a package gives the
# base a new rootfs key, and a base built from another list is rebuilt once (``ensure_image``).
BASE_PACKAGES = "python3,python-is-python3,python3-venv,python3-pip,python3-pytest,git,ca-certificates,procps,less"
ROOTFS_LABEL = "dsfix.rootfs"    # on dsfix's base images: the key of the root filesystem they hold


def cache_dir() -> Path:
    env = os.environ.get("DSFIX_CACHE_DIR")
    return Path(env) if env else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "dsfix"


def ensure_image(client, name: str, pull: bool = True) -> str:
    import docker.errors
    try:
        img = client.images.get(name)
        if name != BASE_IMAGE or not stale_base(img, "bookworm", BASE_PACKAGES):
            return "present"
        return _rebuild_base(client, name)
    except docker.errors.ImageNotFound:
        pass
    if pull:
        try:
            client.images.pull(name)
            return "pulled"
        except docker.errors.APIError:
            pass  # offline or unknown: fall through to an offline build or a clear error
    if name == BASE_IMAGE:
        build_base_image(client, name)
        return "built"
    raise EnvError(f"image {name} is not present and could not be pulled; pull or build it, "
                   f"or use dsfix's offline base ({BASE_IMAGE}, built by `dsfix env base`)")


def _rebuild_base(client, name: str) -> str:
    """Once, also across processes (the lock file layers.core's builds use for the same name)."""
    import fcntl
    d = cache_dir() / "locks"
    d.mkdir(parents=True, exist_ok=True)
    with open(d / (name.replace("/", "_").replace(":", "_") + ".lock"), "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        if not stale_base(client.images.get(name), "bookworm", BASE_PACKAGES):
            return "present"   # another process rebuilt it while this one waited
        log.info(f"{name} was built from another package list than this dsfix's; rebuilding it once")
        build_base_image(client, name)
        return "built"


def rootfs_tarball(release: str = "bookworm", packages: str = BASE_PACKAGES, mirror: str | None = None) -> Path:
    """A Debian `release` minbase root filesystem with `packages`, built once with debootstrap and cached."""
    tar = cache_dir() / "rootfs" / f"{release}-minbase-{rootfs_key(release, packages)}.tar"
    if tar.is_file() and tar.stat().st_size > 0:
        return tar
    if not shutil.which("debootstrap"):
        raise EnvError("debootstrap is needed to build dsfix's offline base image: run `sudo apt-get install -y "
                       "debootstrap` (scripts/setup.sh does it as root), or pass an image you have with --image")
    tar.parent.mkdir(parents=True, exist_ok=True)
    root = Path(tempfile.mkdtemp(prefix=f"dsfix-rootfs-{release}-"))
    try:
        log.info(f"debootstrap {release} into {root} (first time only, a few minutes)")
        _run(["debootstrap", "--variant=minbase", f"--include={packages}", release, str(root), *([mirror] if mirror else [])])
        _run(["bash", "-c", f"rm -rf {root}/var/cache/apt/archives/*.deb {root}/var/lib/apt/lists/*"])
        _run(["tar", "-C", str(root), "-cf", f"{tar}.tmp", "."])
        os.replace(f"{tar}.tmp", tar)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return tar


def rootfs_key(release: str, packages: str) -> str:
    return hashlib.sha256(f"{release}|{packages}".encode()).hexdigest()[:12]  # new package list, new rootfs


def stale_base(img, release: str, packages: str) -> bool:
    """A dsfix base image holding another root filesystem than ``packages`` makes (one built before
    a package was added carries another key, or none)."""
    return (img.labels or {}).get(ROOTFS_LABEL) != rootfs_key(release, packages)


def import_rootfs(client, tar: Path, name: str, labels: dict[str, str] | None = None) -> None:
    repo, _, tag = name.partition(":")
    log.info(f"importing {tar} as {name}")
    label = " ".join(f"{k}={v}" for k, v in (labels or {}).items())
    client.api.import_image_from_file(str(tar), repository=repo, tag=tag or "latest", changes=[
        "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "ENV LANG=C.UTF-8", 'CMD ["/bin/bash"]', *([f"LABEL {label}"] if label else [])])


def build_base_image(client, name: str = BASE_IMAGE) -> None:
    import_rootfs(client, rootfs_tarball(), name,
                  {"dsfix.layer": "base", "dsfix.python": "3.11", "dsfix.release": "bookworm",
                   ROOTFS_LABEL: rootfs_key("bookworm", BASE_PACKAGES)})


def _run(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise EnvError(f"{cmd[0]} failed ({r.returncode}): {r.stderr[-1000:]}")
