"""Where indexes are cached and how a repository state is keyed."""
from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import tempfile
from pathlib import Path

INDEX_VERSION = "3"  # bump when the index layout or scoring inputs change


def cache_root() -> Path:
    if os.environ.get("DSFIX_CACHE_DIR"):
        base = Path(os.environ["DSFIX_CACHE_DIR"])
    elif os.environ.get("XDG_CACHE_HOME"):
        base = Path(os.environ["XDG_CACHE_HOME"]) / "dsfix"
    else:
        base = Path.home() / ".cache" / "dsfix"
    return base / "index"


def _git(repo: Path, *args: str) -> str | None:
    try:
        res = subprocess.run(["git", "-C", str(repo), *args], capture_output=True,
                             text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return res.stdout if res.returncode == 0 else None


def git_files(repo: Path) -> list[str] | None:
    """Tracked plus untracked-not-ignored files, or None when not a git work tree."""
    out = _git(repo, "ls-files", "-z", "-co", "--exclude-standard")
    return None if out is None else [p for p in out.split("\0") if p]


def state_key(repo: Path, files: list[str]) -> str:
    """HEAD commit + hash of dirty files' contents; content hash when not git."""
    h = hashlib.sha1(INDEX_VERSION.encode())
    h.update(str(repo.resolve()).encode())
    head = _git(repo, "rev-parse", "HEAD")
    if head is not None:
        h.update(head.strip().encode())
        status = _git(repo, "status", "--porcelain", "-z", "--untracked-files=all") or ""
        dirty = sorted(e[3:] for e in status.split("\0") if len(e) > 3)
        _hash_files(h, repo, [p for p in dirty if p.endswith(".py")])
    else:
        _hash_files(h, repo, files)
    return h.hexdigest()


def _hash_files(h, repo: Path, paths: list[str]):
    for p in paths:
        h.update(p.encode() + b"\0")
        try:
            h.update(hashlib.sha1((repo / p).read_bytes()).digest())
        except OSError:
            h.update(b"<missing>")


def load(key: str):
    path = cache_root() / f"{key}.pkl"
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def save(key: str, obj) -> None:
    root = cache_root()
    try:
        root.mkdir(parents=True, exist_ok=True)
        # write-then-rename so a concurrent reader never sees half a file
        fd, tmp = tempfile.mkstemp(dir=root, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, root / f"{key}.pkl")
    except OSError:
        pass  # a cache that cannot be written is only slower
