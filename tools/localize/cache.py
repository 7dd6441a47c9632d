"""Where indexes are cached and how a repository state is keyed."""
from __future__ import annotations

import hashlib
import os
import pickle
import subprocess
import tempfile
from pathlib import Path

INDEX_VERSION = "6"  # bump when the index layout or scoring inputs change
DEFAULT_MAX_MB = 1024   # DSFIX_INDEX_CACHE_MB; a django index is ~10 MB, so ~100 repo states
STALE_TMP_S = 3600      # a .tmp this old is a writer that died


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
    """What the index is built from, never where: HEAD commit, the indexed paths and the contents
    of dirty files (every file's content when not git). Two checkouts of one commit share a key,
    so a second clone, a CI runner or a batch worker reuses the first one's index."""
    h = hashlib.sha1(INDEX_VERSION.encode())
    head = _git(repo, "rev-parse", "HEAD")
    if head is not None:
        h.update(head.strip().encode())
        # the paths too: a sparse or partly ignored checkout of the same commit indexes other files
        h.update("\0".join(files).encode())
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
            obj = pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    try:
        os.utime(path)   # recency for prune(): least recently used goes first
    except OSError:
        pass
    return obj


def max_bytes() -> int:
    try:
        return int(float(os.environ.get("DSFIX_INDEX_CACHE_MB", DEFAULT_MAX_MB)) * 2**20)
    except ValueError:
        return DEFAULT_MAX_MB * 2**20


def prune(limit: int | None = None, keep: str | None = None) -> list[Path]:
    """Delete least recently used indexes until the cache fits `limit` bytes (never `keep`),
    and leftovers of writers that died. Returns what was removed."""
    import time
    limit = max_bytes() if limit is None else limit
    root, removed, now = cache_root(), [], time.time()
    entries = []
    for p in root.glob("*"):
        try:
            st = p.stat()
        except OSError:
            continue
        if p.suffix == ".tmp" and now - st.st_mtime > STALE_TMP_S:
            removed.append(p)
        elif p.suffix == ".pkl":
            entries.append((st.st_mtime, st.st_size, p))
    total = sum(size for _, size, _ in entries)
    for _, size, p in sorted(entries):
        if total <= limit:
            break
        if p.stem != keep:
            removed.append(p)
            total -= size
    for p in removed:
        try:
            p.unlink()
        except OSError:
            pass
    return removed


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
        return  # a cache that cannot be written is only slower
    prune(keep=key)
