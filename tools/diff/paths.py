"""Pure checks on repo-relative paths (no filesystem)."""
from __future__ import annotations

import codecs
import re

from dsfix.common.paths import UnsafePath, is_dotgit, normalize_rel

from .datatypes import UnsafePathError

__all__ = ["check_rel_path", "clean_header_path", "is_dotgit"]

_TIMESTAMP = re.compile(r"\t.*$|\s+\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d.*$")


def clean_header_path(raw: str) -> str | None:
    """Path from a ---/+++ or rename line: drop timestamps and quotes; None for /dev/null."""
    p = _TIMESTAMP.sub("", raw.strip()).strip()
    if len(p) >= 2 and p[0] == p[-1] == '"':
        # git C-quotes names: \t, \", and octal bytes of UTF-8 (\303\251)
        unquoted = codecs.escape_decode(p[1:-1].encode("utf-8", "surrogateescape"))[0]
        p = unquoted.decode("utf-8", "surrogateescape")
    if p in ("/dev/null", "dev/null", "a/dev/null", "b/dev/null", "NUL"):
        return None
    return p


def check_rel_path(path: str) -> str:
    """Normalise a repo-relative path; raise UnsafePathError if it could escape the repo
    (the rules: dsfix.common.paths, shared with the workspace and the final-patch check)."""
    try:
        return normalize_rel(path)
    except UnsafePath as e:
        raise UnsafePathError(str(e)) from None
