"""Path safety, one set of rules for every place a path from outside (a model's edit, a patch, a
repository's listing) meets the file system: repo-relative, no escape, no git metadata in any
spelling git itself refuses, and (on disk) never through a symlink."""
from __future__ import annotations

import re
from pathlib import Path


class UnsafePath(ValueError):
    """A path that is absolute, climbs out with '..', names git metadata or goes through a symlink."""


def normalize_rel(path: str) -> str:
    """Normalise a repo-relative path ("a//./b" -> "a/b"); UnsafePath if it could escape the repo."""
    if not path or "\x00" in path:
        raise UnsafePath(f"empty or invalid path {path!r}")
    p = path.replace("\\", "/")
    if p.startswith("/") or re.match(r"^[A-Za-z]:", p) or p.startswith("~"):
        raise UnsafePath(f"absolute path not allowed: {path!r}")
    parts = [c for c in p.split("/") if c not in ("", ".")]
    if any(c == ".." for c in parts):
        raise UnsafePath(f"path escapes the repository ('..'): {path!r}")
    if not parts:
        raise UnsafePath(f"path names the repository root: {path!r}")
    if any(is_dotgit(c) for c in parts):
        raise UnsafePath(f"refusing to touch git metadata: {path!r}")
    return "/".join(parts)


# Code points HFS+ ignores in names (git's utf8.c next_hfs_char): ".g\u200cit" is ".git" there.
_HFS_IGNORED = dict.fromkeys([0x200C, 0x200D, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF])


def is_dotgit(component: str) -> bool:
    """Whether a path component names git's metadata on some file system, as git's own
    verify_path sees it: any case (NTFS, HFS+), trailing dots and spaces and alternate data
    streams (NTFS: ".git. ", ".git::$INDEX_ALLOCATION"), the 8.3 short name "git~1", and HFS+'s
    ignorable code points."""
    name = component.translate(_HFS_IGNORED).split(":", 1)[0].rstrip(" .").lower()
    return name in (".git", "git~1")


def is_gitmodules(name: str) -> bool:
    """``.gitmodules`` as git's own checks see it: any case, NTFS's trailing dots and spaces and
    its short name ``gitmod~1`` (a submodule URL change is never a code fix)."""
    name = name.split(":", 1)[0].rstrip(" .").lower()
    return name in (".gitmodules", "gitmod~1")


def symlink_on_path(root: Path, rel: str) -> Path | None:
    """The first component of root/rel that exists as a symlink (relative to root), else None."""
    cur = Path(root)
    for part in rel.split("/"):
        cur = cur / part
        if cur.is_symlink():
            return cur.relative_to(root)
    return None
