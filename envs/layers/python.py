"""Which Python a base image carries, and how to provision it without any image registry.

Offline, dsfix's base images are Debian root filesystems made with ``debootstrap`` (which only
needs a Debian mirror). Each Debian release carries exactly one CPython, so a version a release
ships maps to that release:

    3.7 -> buster (archived: needs archive.debian.org)   3.9 -> bullseye
    3.11 -> bookworm                                     3.13 -> trixie

Any other version (3.8, 3.10, 3.12, ...) comes from a **standalone CPython toolchain** (a
python-build-standalone "install_only" archive, or an installed prefix packed into that layout;
``toolchain.find``): the base is then ``dsfix/base:bookworm`` with the toolchain at
``/opt/python/X.Y`` (``python3.X`` on PATH, its ``lib`` known to the dynamic linker), tagged
``dsfix/base:pyX.Y-<hash of the archive>``, and checked while building (ssl, sqlite3, ctypes,
venv, ensurepip, zlib, bz2, lzma import; missing shared libraries are named). Only when no
toolchain can be had does ``python_fallback=True`` use the nearest newer Debian Python, which the
report then records as a divergence; without it the error says how to provide a toolchain.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..base import EnvError
from .. import images
from ..images import BASE_IMAGE, BASE_PACKAGES, ensure_image
from . import toolchain
from .docker_build import LayerBuildError, build_image, build_lock

log = logging.getLogger(__name__)

RELEASES: dict[str, str] = {"3.7": "buster", "3.9": "bullseye", "3.11": "bookworm", "3.13": "trixie"}
MIRRORS: dict[str, str] = {"buster": "http://archive.debian.org/debian"}
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# dsfix's own bases (not bookworm, which is envs/images.py's) also carry `patch` for the
# official harness's last-resort patch application.
PACKAGES = "python3,python3-venv,python3-pip,git,ca-certificates,procps,patch,less"
TOOLCHAIN_LAYOUT = "1"        # bump when toolchain_dockerfile changes meaning
CHECK_IMPORTS = "ssl, sqlite3, ctypes, venv, ensurepip, zlib, bz2, lzma"


class PythonUnavailable(EnvError):
    """The requested Python cannot be provisioned offline."""


@dataclass(frozen=True)
class Provision:
    """How a requested Python is provided: a Debian release's, or a toolchain on bookworm."""
    tag: str
    version: str                      # the X.Y the base image carries
    release: str                      # the Debian release underneath
    toolchain: Path | None = None     # the CPython archive, for versions no release ships

    @property
    def interpreter(self) -> str:
        """The base interpreter's path in the image ("" for a Debian release's python3)."""
        return f"/opt/python/{self.version}/bin/python{self.version}" if self.toolchain else ""


def _key(v: str) -> tuple[int, int]:
    major, minor = v.split(".")[:2]
    return int(major), int(minor)


def release_for(python: str, fallback: bool = False) -> tuple[str, str]:
    """(Debian release, Python version it carries) for a requested ``python`` (Debian only)."""
    if python in RELEASES:
        return RELEASES[python], python
    newer = sorted((v for v in RELEASES if _key(v) > _key(python)), key=_key)
    if fallback and newer:
        return RELEASES[newer[0]], newer[0]
    known = ", ".join(f"{v} ({r})" for v, r in RELEASES.items())
    raise PythonUnavailable(
        f"python {python} cannot be provisioned offline from Debian: releases carry {known}; provide a "
        f"CPython toolchain, use an image that has it, or allow the nearest newer version (--python-fallback"
        f"{', would use ' + newer[0] if newer else ''})")


def base_tag(release: str) -> str:
    return BASE_IMAGE if release == "bookworm" else f"dsfix/base:{release}"


def provision_for(python: str, fallback: bool = False) -> Provision:
    """Decide how ``python`` is provided; a toolchain is found (or downloaded) here, nothing is built."""
    python = ".".join(python.split(".")[:2])
    if python in RELEASES:
        return Provision(base_tag(RELEASES[python]), python, RELEASES[python])
    try:
        tar = toolchain.find(python)
    except toolchain.ToolchainUnavailable as e:
        if fallback:
            try:
                release, version = release_for(python, True)
            except PythonUnavailable:
                raise PythonUnavailable(f"python {python}: {e}; no newer Debian Python to fall back to") from None
            log.info(f"python {python}: no toolchain ({str(e).split(';')[0]}); falling back to {version}")
            return Provision(base_tag(release), version, release)
        raise PythonUnavailable(f"python {python} cannot be provisioned: no Debian release ships it, and {e}"
                                f" (or allow the nearest newer version: --python-fallback)") from None
    return Provision(toolchain_tag(python, tar), python, "bookworm", tar)


def toolchain_tag(version: str, tar: Path) -> str:
    # the bookworm base's package list too: a toolchain base is FROM it, and goes stale with it
    key = hashlib.sha256(f"{TOOLCHAIN_LAYOUT}|{file_sha256(tar)}|{BASE_PACKAGES}".encode()).hexdigest()[:12]
    return f"dsfix/base:py{version}-{key}"


def file_sha256(path: Path) -> str:
    """sha256 of a file, remembered next to it (keyed by size and mtime) so it is read once."""
    st = path.stat()
    memo = path.with_name(path.name + ".sha256")
    stamp = f"{st.st_size} {st.st_mtime_ns}"
    if memo.is_file():
        old_stamp, _, digest = memo.read_text().strip().rpartition(" ")
        if old_stamp == stamp:
            return digest
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    try:
        memo.write_text(f"{stamp} {h.hexdigest()}\n")
    except OSError:
        pass                          # a read-only toolchain dir: hash again next time
    return h.hexdigest()


def rootfs_tarball(release: str) -> Path:
    """A Debian ``release`` minbase root filesystem, built once with debootstrap and cached."""
    return images.rootfs_tarball(release, PACKAGES, MIRRORS.get(release, DEFAULT_MIRROR))


def ensure_base(client, python: str, *, fallback: bool = False) -> tuple[str, str]:
    """Make sure the base image for ``python`` exists; returns (tag, python version it carries)."""
    prov = provision_for(python, fallback)
    ensure_provision(client, prov)
    return prov.tag, prov.version


def ensure_provision(client, prov: Provision) -> None:
    """Build (or import) the base image ``prov`` describes, unless it is there."""
    import docker.errors
    if prov.release == "bookworm":
        ensure_image(client, BASE_IMAGE, pull=False)  # envs/images.py builds dsfix's default base
        if not prov.toolchain:
            return
    with build_lock(prov.tag):   # one build per base, also across processes
        try:
            img = client.images.get(prov.tag)
            if prov.toolchain or not images.stale_base(img, prov.release, PACKAGES):
                return
            log.info(f"{prov.tag} was built from another package list than this dsfix's; rebuilding it once")
        except docker.errors.ImageNotFound:
            pass
        if prov.toolchain:
            _build_toolchain_base(client, prov)
        else:
            _import(client, prov.release, prov.tag, prov.version)


def _import(client, release: str, tag: str, version: str) -> None:
    labels = {"dsfix.layer": "base", "dsfix.python": version, "dsfix.release": release,
              images.ROOTFS_LABEL: images.rootfs_key(release, PACKAGES)}
    images.import_rootfs(client, rootfs_tarball(release), tag, labels)


# ---------------------------------------------------------------- a toolchain on the bookworm base

CHECK = """#!/bin/bash
# Does the toolchain work in this image? If not, say which shared libraries are missing.
v=$1; py=/opt/python/$v/bin/python$v
missing=$(for f in "$py" /opt/python/$v/lib/python$v/lib-dynload/*.so; do
  ldd "$f" 2>/dev/null | awk -v f="${f##*/}" '/not found/ {print $1 " (needed by " f ")"}'; done | sort -u | tr '\\n' ' ')
if ! err=$("$py" -c "import %s" 2>&1); then
  echo "dsfix-toolchain: python $v does not work on this base: $(echo "$err" | tail -n1)${missing:+; missing shared libraries: $missing}"
  exit 1
fi
""" % CHECK_IMPORTS


def toolchain_dockerfile(prov: Provision) -> str:
    v, root = prov.version, f"/opt/python/{prov.version}"
    return "\n".join([
        f"FROM {BASE_IMAGE}",
        "LABEL dsfix.build=1",
        f"COPY python {root}",
        "COPY check_python.sh /dsfix/check_python.sh",
        # a packed prefix (pyenv) finds libpython by its original absolute RUNPATH, and a venv's
        # copied interpreter by none: the dynamic linker is told where it lives
        f"RUN echo {root}/lib > /etc/ld.so.conf.d/dsfix-python{v}.conf && ldconfig"
        f" && ln -sf {root}/bin/python{v} /usr/local/bin/python{v} && bash /dsfix/check_python.sh {v}",
        ""])


def _build_toolchain_base(client, prov: Provision) -> None:
    ctx = Path(tempfile.mkdtemp(prefix="dsfix-toolchain-"))
    try:
        _unpack(prov.toolchain, ctx)
        if not (ctx / "python" / "bin" / f"python{prov.version}").exists():
            raise PythonUnavailable(f"{prov.toolchain} holds no python/bin/python{prov.version}: "
                                    f"not a CPython {prov.version} toolchain")
        (ctx / "check_python.sh").write_text(CHECK)
        (ctx / "Dockerfile").write_text(toolchain_dockerfile(prov))
        labels = {"dsfix.layer": "base", "dsfix.python": prov.version, "dsfix.release": prov.release,
                  "dsfix.parent": BASE_IMAGE, "dsfix.toolchain": prov.toolchain.name,
                  "dsfix.interpreter": prov.interpreter}
        log.info(f"building base {prov.tag}: {prov.toolchain.name} on {BASE_IMAGE}")
        try:
            build_image(client, prov.tag, labels, "none", path=str(ctx))
        except LayerBuildError as e:
            why = next((ln for ln in str(e).splitlines() if ln.startswith("dsfix-toolchain:")), None)
            if why:
                raise PythonUnavailable(f"{prov.toolchain.name}: {why[len('dsfix-toolchain: '):]}") from None
            raise
    finally:
        shutil.rmtree(ctx, ignore_errors=True)


def _unpack(tar: Path, dest: Path) -> None:
    with tarfile.open(tar, "r:gz") as tf:
        if hasattr(tarfile, "data_filter"):
            tf.extractall(dest, filter="data")   # no absolute paths or links out of dest
        else:
            tf.extractall(dest)


__all__ = ["RELEASES", "PythonUnavailable", "Provision", "release_for", "provision_for", "base_tag",
           "rootfs_tarball", "ensure_base", "ensure_provision", "BASE_PACKAGES"]
