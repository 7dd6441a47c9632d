"""Elision markers: lines like `...` or `# ... existing code ...` that models write for
"the unchanged lines here are left out". They are split points, never code.
"""
from __future__ import annotations

import re

from .model import Line

_DOTS = r"(?:\.\.\.+|…)"
_BARE = re.compile(rf"^[\[(]?{_DOTS}[\])]?$")
_COMMENT = re.compile(r"^(?:#+|//|--|;|/\*|<!--)(.*?)(?:\*/|-->)?$")
_LEADING_DOTS = re.compile(rf"^{_DOTS}")
_ELISION_WORDS = re.compile(r"existing code|unchanged|omitted|elided|rest of the|remaining code"
                            r"|same as before|as before", re.I)
_STUB_OPENER = re.compile(r"(:|>>>.*|\.\.\. .*)$")  # lines after which a bare `...` is code


def is_marker(text: str) -> bool:
    """A line that elides others: dots alone, or a short comment that starts with dots
    (`# ...`, `/* ... */`, `// ... rest`) or says so (`# existing code unchanged`)."""
    s = text.strip()
    if _BARE.match(s):
        return True
    m = _COMMENT.match(s)
    if not m:
        return False
    body = m.group(1).strip()
    return bool(_LEADING_DOTS.match(body)) and len(body) <= 60 or \
        len(body) <= 50 and bool(_ELISION_WORDS.search(body))


def is_bare(text: str) -> bool:
    """`...` alone: also Python's Ellipsis, a real statement in stubs and doctests."""
    return bool(_BARE.match(text.strip()))


def added_marker(lines: list[Line]) -> Line | None:
    """The first added line that is an elision marker rather than code. A bare `...`
    right after a line opening a block (`def f():`) or in a doctest is Python code."""
    prev = ""
    for ln in lines:
        if ln.tag == "-":
            continue
        if ln.tag == "+" and is_marker(ln.text):
            if not (is_bare(ln.text) and _STUB_OPENER.search(prev.strip())):
                return ln
        if ln.text.strip():
            prev = ln.text
    return None


def marker_lines(lines: list[Line]) -> list[int]:
    """Indexes of the context lines that are elision markers."""
    return [i for i, ln in enumerate(lines) if ln.tag == " " and is_marker(ln.text)]
