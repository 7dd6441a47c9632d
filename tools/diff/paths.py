"""Pure checks on repo-relative paths (no filesystem)."""
from __future__ import annotations

import codecs
import re

from .model import UnsafePathError

_TIMESTAMP = re.compile(r"\t.*$|\s+\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d.*$")


def clean_header_path(raw: str) -> str | None:
    """Path from a ---/+++ or rename line: drop timestamps and quotes; None for /dev/null."""
    p = _TIMESTAMP.sub("", raw.strip()).strip()
    if len(p) >= 2 and p[0] == p[-1] == '"':
        # git C-quotes names: \t, \", and octal bytes of UTF-8 (\303\251)
        raw = codecs.escape_decode(p[1:-1].encode("utf-8", "surrogateescape"))[0]
        p = raw.decode("utf-8", "surrogateescape")
    if p in ("/dev/null", "dev/null", "a/dev/null", "b/dev/null", "NUL"):
        return None
    return p


def check_rel_path(path: str) -> str:
    """Normalise a repo-relative path; raise UnsafePathError if it could escape the repo."""
    if not path or "\x00" in path:
        raise UnsafePathError(f"empty or invalid path {path!r}")
    p = path.replace("\\", "/")
    if p.startswith("/") or re.match(r"^[A-Za-z]:", p) or p.startswith("~"):
        raise UnsafePathError(f"absolute path not allowed: {path!r}")
    parts = [c for c in p.split("/") if c not in ("", ".")]
    if any(c == ".." for c in parts):
        raise UnsafePathError(f"path escapes the repository ('..'): {path!r}")
    if not parts:
        raise UnsafePathError(f"path names the repository root: {path!r}")
    if any(is_dotgit(c) for c in parts):
        raise UnsafePathError(f"refusing to touch git metadata: {path!r}")
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
