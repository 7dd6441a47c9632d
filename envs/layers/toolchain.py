"""Standalone CPython toolchains: a tarball holding one relocatable interpreter under ``python/``.

The format is python-build-standalone's "install_only" archive
(``cpython-<X.Y.Z>+<build>-x86_64-unknown-linux-gnu-install_only.tar.gz``, ``python/bin/python3``).
``find(version)`` looks for one, in this order:

1. the toolchain directory ``DSFIX_PYTHON_DIR`` (default ``~/.cache/dsfix/python``): any archive of
   that name for ``X.Y`` (the newest patch release wins);
2. installations named in ``DSFIX_PYTHON_PREFIXES`` (``:``-separated, e.g.
   ``~/.pyenv/versions/3.10.13``): the first of version ``X.Y`` is packed into the directory
   (``pack``; it must have been built for a glibc no newer than bookworm's);
3. a download of the pinned build (``BUILDS``) from ``DSFIX_PYTHON_URL`` (default: the GitHub
   releases of astral-sh/python-build-standalone; empty: never download) into the directory,
   resumed when interrupted, renamed into place only when complete.

``ToolchainUnavailable`` says what was tried and how to provide a tarball offline.
"""
from __future__ import annotations

import logging
import http.client
import os
import re
import subprocess
import tarfile
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from ..base import EnvError
from ..images import cache_dir

log = logging.getLogger(__name__)

TRIPLE = "x86_64-unknown-linux-gnu"
DEFAULT_URL = "https://github.com/astral-sh/python-build-standalone/releases/download"
# The build downloaded per minor version: X.Y.Z+<release tag>, all with an install_only archive.
BUILDS: dict[str, str] = {
    "3.8": "3.8.20+20241002", "3.9": "3.9.25+20251031", "3.10": "3.10.19+20251031",
    "3.11": "3.11.14+20251031", "3.12": "3.12.12+20251031", "3.13": "3.13.9+20251031",
}
NAME = re.compile(r"^cpython-(\d+)\.(\d+)\.(\d+)\+([\w.]+)-" + re.escape(TRIPLE) + r"-install_only\.tar\.gz$")
CHUNK = 1 << 20


class ToolchainUnavailable(EnvError):
    """No CPython toolchain archive for a version could be found, packed or downloaded."""


def toolchain_dir() -> Path:
    env = os.environ.get("DSFIX_PYTHON_DIR")
    return Path(env).expanduser() if env else cache_dir() / "python"


def base_url() -> str:
    return os.environ.get("DSFIX_PYTHON_URL", DEFAULT_URL).rstrip("/")


def archive_name(full: str) -> str:
    """``3.10.19+20251031`` -> the install_only archive's file name."""
    return f"cpython-{full}-{TRIPLE}-install_only.tar.gz"


def local(version: str, directory: Path | None = None) -> Path | None:
    """The newest archive for ``X.Y`` in the toolchain directory, if any."""
    d = directory or toolchain_dir()
    want = tuple(int(x) for x in version.split(".")[:2])
    found = []
    for p in d.glob("cpython-*.tar.gz") if d.is_dir() else []:
        m = NAME.match(p.name)
        if m and (int(m[1]), int(m[2])) == want:
            found.append(((int(m[3]), m[4]), p))
    return max(found)[1] if found else None


def find(version: str) -> Path:
    """An archive for Python ``X.Y``: local, packed from a named prefix, or downloaded."""
    d = toolchain_dir()
    hit = local(version, d)
    if hit:
        return hit
    for prefix in filter(None, os.environ.get("DSFIX_PYTHON_PREFIXES", "").split(":")):
        p = Path(prefix).expanduser()
        if prefix_version(p).rsplit(".", 1)[0] == version:
            log.info(f"packing the Python {version} at {p} into {d}")
            return pack(p, d)
    url = base_url()
    if version not in BUILDS or not url:
        raise ToolchainUnavailable(
            f"no CPython {version} toolchain in {d}"
            + ("" if url else " and downloads are off (DSFIX_PYTHON_URL is empty)")
            + (f" and no pinned build of {version} to download" if version not in BUILDS else "")
            + "; " + how_to_provide(version, d))
    return download(f"{url}/{BUILDS[version].split('+')[1]}/{urllib.parse.quote(archive_name(BUILDS[version]))}",
                    d / archive_name(BUILDS[version]), version)


def how_to_provide(version: str, d: Path) -> str:
    return (f"provide one offline: copy cpython-{version}.<patch>+<build>-{TRIPLE}-install_only.tar.gz "
            f"(python-build-standalone's releases) into {d} (DSFIX_PYTHON_DIR), or pack an installed "
            f"Python {version} with `dsfix env python --from PREFIX` (e.g. ~/.pyenv/versions/{version}.N)")


# ---------------------------------------------------------------- download

def download(url: str, dest: Path, version: str = "", timeout: float = 60) -> Path:
    """Fetch ``url`` to ``dest``: resumes a ``.part`` left by an interrupted try, renames when complete."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    req = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
    log.info(f"downloading {url}" + (f" (resuming at {have} bytes)" if have else ""))
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:          # a stale .part at least as long as the file: start over
            part.unlink()
            return download(url, dest, version, timeout)
        raise ToolchainUnavailable(_http_error(url, f"HTTP {e.code} {e.reason}", version, dest.parent)) from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise ToolchainUnavailable(_http_error(url, f"{type(e).__name__}: {reason}", version, dest.parent)) from None
    with resp:
        if have and resp.status != 206:     # the server ignored the range: start over
            have = 0
        total = _total(resp, have)
        try:
            with open(part, "ab" if have else "wb") as f:
                while chunk := resp.read(CHUNK):
                    f.write(chunk)
        except (http.client.HTTPException, OSError) as e:
            raise ToolchainUnavailable(f"download of {url} interrupted at {part.stat().st_size} bytes "
                                       f"({type(e).__name__}); run again to resume ({part})") from None
    if total is not None and part.stat().st_size != total:
        raise ToolchainUnavailable(f"download of {url} stopped at {part.stat().st_size} of {total} bytes; "
                                   f"run again to resume ({part})")
    try:
        check_archive(part)
    except ToolchainUnavailable:
        part.unlink()        # not worth resuming
        raise
    os.replace(part, dest)
    return dest


def _total(resp, offset: int) -> int | None:
    n = resp.headers.get("Content-Length")
    return offset + int(n) if n and n.isdigit() else None


def _http_error(url: str, what: str, version: str, d: Path) -> str:
    host = urllib.parse.urlsplit(url).netloc
    return (f"could not download CPython {version or 'toolchain'} from {url}: {what}. Either that build does "
            f"not exist, or this machine cannot reach {host} (some networks answer every outside request "
            f"with 404). Set DSFIX_PYTHON_URL to a mirror, or {how_to_provide(version or 'X.Y', d)}")


def check_archive(path: Path) -> None:
    """An install_only archive: a gzip'd tar whose members live under ``python/``."""
    try:
        with tarfile.open(path, "r:gz") as tf:
            first = tf.next()
    except (tarfile.TarError, OSError, EOFError) as e:
        raise ToolchainUnavailable(f"{path} is not a gzip'd tar archive ({e})") from None
    if first is None or not (first.name == "python" or first.name.startswith(("python/", "./python"))):
        raise ToolchainUnavailable(f"{path} is not an install_only archive (no top-level python/ directory)")


# ---------------------------------------------------------------- packing an installed prefix

# Not packed: the interpreter's own site-packages (a toolchain starts clean; venvs bring their
# own pip through ensurepip), the test suite and IDE, static libraries, bytecode caches.
SKIP_DIRS = {"test", "idlelib", "turtledemo", "__pycache__"}


def prefix_version(prefix: Path) -> str:
    """X.Y.Z of the interpreter installed at ``prefix`` (it is run once, on this machine)."""
    exe = next((p for p in sorted((prefix / "bin").glob("python3*")) if re.fullmatch(r"python3(\.\d+)?", p.name)),
               None)
    if exe is None:
        raise ToolchainUnavailable(f"{prefix} holds no bin/python3: not a Python installation prefix")
    r = subprocess.run([str(exe), "-c", "import platform; print(platform.python_version())"],
                       capture_output=True, text=True)
    if r.returncode != 0 or not re.fullmatch(r"\d+\.\d+\.\d+", r.stdout.strip()):
        raise ToolchainUnavailable(f"{exe} does not run here: {r.stderr.strip()[-300:]}")
    return r.stdout.strip()


def pack(prefix: Path, directory: Path | None = None) -> Path:
    """Pack the Python installed at ``prefix`` as an install_only archive in the toolchain directory."""
    prefix = prefix.resolve()
    full = prefix_version(prefix)
    mm = ".".join(full.split(".")[:2])
    d = directory or toolchain_dir()
    d.mkdir(parents=True, exist_ok=True)
    dest = d / archive_name(f"{full}+local")
    members = [p for p in (prefix / "bin").iterdir() if p.name in ("python", "python3", f"python{mm}")]
    members += [prefix / "lib" / f"python{mm}", prefix / "include" / f"python{mm}"]
    members += sorted((prefix / "lib").glob("libpython*.so*"))
    tmp = dest.with_name(dest.name + f".{os.getpid()}.tmp")
    with tarfile.open(tmp, "w:gz", compresslevel=3) as tf:
        for m in members:
            if m.exists() or m.is_symlink():
                tf.add(m, arcname="python/" + m.relative_to(prefix).as_posix(), filter=_skip(mm))
    os.replace(tmp, dest)
    log.info(f"packed {prefix} as {dest} ({dest.stat().st_size / 2**20:.0f} MiB)")
    return dest


def _skip(mm: str):
    site = f"python/lib/python{mm}/site-packages/"

    def keep(info: tarfile.TarInfo):
        parts = info.name.split("/")
        if SKIP_DIRS.intersection(parts[3:]) or info.name.endswith(".a"):
            return None
        if info.name.startswith(site) and info.name != site + "README.txt":
            return None
        return info
    return keep
