"""Which Python a base image carries, and how to provision it without any image registry.

Offline, dsfix's base images are Debian root filesystems made with ``debootstrap`` (which only
needs a Debian mirror). Each Debian release carries exactly one CPython, so a requested version
maps to a release:

    3.7 -> buster (archived: needs archive.debian.org)   3.9 -> bullseye
    3.11 -> bookworm                                     3.13 -> trixie

Any other version (3.6, 3.8, 3.10, 3.12, ...) cannot be provisioned offline by dsfix: use an
image that has it (online: the official SWE-bench image), or allow the nearest newer version
(``python_fallback=True``), which the report then records as a divergence.
"""
from __future__ import annotations

from pathlib import Path

from ..base import EnvError
from .. import images
from ..images import BASE_IMAGE, BASE_PACKAGES, ensure_image

RELEASES: dict[str, str] = {"3.7": "buster", "3.9": "bullseye", "3.11": "bookworm", "3.13": "trixie"}
MIRRORS: dict[str, str] = {"buster": "http://archive.debian.org/debian"}
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# dsfix's own bases (not bookworm, which is envs/images.py's) also carry `patch` for the
# official harness's last-resort patch application.
PACKAGES = "python3,python3-venv,python3-pip,git,ca-certificates,procps,patch"


class PythonUnavailable(EnvError):
    """The requested Python cannot be provisioned offline."""


def _key(v: str) -> tuple[int, int]:
    major, minor = v.split(".")[:2]
    return int(major), int(minor)


def release_for(python: str, fallback: bool = False) -> tuple[str, str]:
    """(Debian release, Python version it carries) for a requested ``python``."""
    if python in RELEASES:
        return RELEASES[python], python
    newer = sorted((v for v in RELEASES if _key(v) > _key(python)), key=_key)
    if fallback and newer:
        return RELEASES[newer[0]], newer[0]
    known = ", ".join(f"{v} ({r})" for v, r in RELEASES.items())
    raise PythonUnavailable(
        f"python {python} cannot be provisioned offline: Debian releases carry {known}; use an image "
        f"that has it, or allow the nearest newer version (--python-fallback"
        f"{', would use ' + newer[0] if newer else ''})")


def base_tag(release: str) -> str:
    return BASE_IMAGE if release == "bookworm" else f"dsfix/base:{release}"


def rootfs_tarball(release: str, log=print) -> Path:
    """A Debian ``release`` minbase root filesystem, built once with debootstrap and cached."""
    return images.rootfs_tarball(release, PACKAGES, MIRRORS.get(release, DEFAULT_MIRROR), log)


def ensure_base(client, python: str, *, fallback: bool = False, log=print) -> tuple[str, str]:
    """Make sure the base image for ``python`` exists; returns (tag, python version it carries)."""
    import docker.errors
    release, version = release_for(python, fallback)
    tag = base_tag(release)
    if release == "bookworm":
        ensure_image(client, tag, pull=False)  # envs/images.py builds dsfix's default base
        return tag, version
    from .core import _lock   # one import per base, also across processes
    with _lock(tag):
        try:
            client.images.get(tag)
            return tag, version
        except docker.errors.ImageNotFound:
            pass
        _import(client, release, tag, version, log)
    return tag, version


def _import(client, release: str, tag: str, version: str, log) -> None:
    labels = {"dsfix.layer": "base", "dsfix.python": version, "dsfix.release": release}
    images.import_rootfs(client, rootfs_tarball(release, log), tag, labels, log)


__all__ = ["RELEASES", "PythonUnavailable", "release_for", "base_tag", "rootfs_tarball", "ensure_base",
           "BASE_PACKAGES"]
