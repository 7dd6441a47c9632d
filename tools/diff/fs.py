"""apply_to_dir: safe reads and all-or-nothing atomic writes inside a repository."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from dsfix.common.paths import symlink_on_path

from .apply import apply_diff
from .datatypes import ApplyResult, PatchError, UnsafePathError
from .paths import check_rel_path
from .search_replace import apply_search_replace, detect_format


def safe_target(root: Path, rel: str) -> Path:
    """root/rel, refusing any path whose existing components include a symlink."""
    rel = check_rel_path(rel)
    if (link := symlink_on_path(root, rel)) is not None:
        raise UnsafePathError(f"path goes through a symlink: {rel!r} ({link})")
    p = root / rel
    if not os.path.realpath(p).startswith(str(root) + os.sep):
        raise UnsafePathError(f"path escapes the repository: {rel!r}")
    return p


def reader(root: Path):
    """read_file for apply_diff: text of root/rel, or None if absent."""
    def read(rel: str) -> str | None:
        p = safe_target(root, rel)
        if not p.exists():
            return None
        if not p.is_file():
            raise PatchError(f"{rel!r} is not a regular file")
        data = p.read_bytes()
        if b"\x00" in data:
            raise PatchError(f"{rel!r} is a binary file; binary patches are not supported")
        return data.decode("utf-8", "surrogateescape")
    return read


SKIP_DIRS = {"node_modules", "__pycache__", "venv", "site-packages"}
MAX_LISTED = 100_000


def lister(root: Path):
    """list_files for apply_diff: the repository's files (not under dot-directories or
    vendored trees, not through symlinks), listed once, on first use."""
    cache: list[str] = []

    def files() -> list[str]:
        if not cache:
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames
                                     if not d.startswith(".") and d not in SKIP_DIRS)
                rel = Path(dirpath).relative_to(root)
                cache.extend((rel / f).as_posix() for f in filenames
                             if not (Path(dirpath) / f).is_symlink())
                if len(cache) > MAX_LISTED:
                    break
        return cache
    return files


def apply_to_dir(root: Path, diff_text: str, *, check: bool = False,
                 fmt: str = "udiff") -> ApplyResult:
    """Apply to files under root; write only if everything applies and check is False.
    fmt: "udiff", "search_replace" or "auto" (search_replace if it has SEARCH blocks)."""
    root = Path(root)
    if not root.is_dir():
        raise PatchError(f"not a directory: {root}")
    root = Path(os.path.realpath(root))
    if fmt == "auto":
        fmt = detect_format(diff_text)
    if fmt in ("udiff", "diff"):
        result = apply_diff(diff_text, reader(root), lister(root))
    elif fmt in ("search_replace", "search-replace", "sr"):
        result = apply_search_replace(diff_text, reader(root))
    else:
        raise PatchError(f"unknown patch format {fmt!r}")
    if result.ok and not check:
        try:
            write_all(root, result.changes)
        except OSError as e:  # e.g. a new file under a path that is a regular file
            raise PatchError(f"could not write the patched files (nothing changed): {e}") from e
    return result


def write_all(root: Path, changes: dict[str, str | None]) -> None:
    """Stage every file as a temp file first, then swap them in; undo on any error."""
    staged: list[tuple[Path, str | None]] = []
    try:
        for rel, text in changes.items():
            target = safe_target(root, rel)
            staged.append((target, None if text is None else _stage(target, text)))
    except BaseException:
        _discard(staged)
        raise
    backups: list[tuple[Path, bytes | None]] = []
    try:
        for target, tmp in staged:
            backups.append((target, target.read_bytes() if target.is_file() else None))
            if tmp is None:
                if target.exists():
                    target.unlink()
            else:
                os.replace(tmp, target)
    except BaseException:
        _discard(staged)
        for target, data in reversed(backups):
            if data is None:
                target.unlink(missing_ok=True)
            else:
                target.write_bytes(data)
        raise


def _stage(target: Path, text: str) -> str:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".dsfix-", suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(text.encode("utf-8", "surrogateescape"))
    mode = target.stat().st_mode & 0o7777 if target.is_file() else 0o644
    os.chmod(tmp, mode)
    return tmp


def _discard(staged) -> None:
    for _, tmp in staged:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
