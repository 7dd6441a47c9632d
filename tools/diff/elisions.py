"""Elision markers: lines that stand for file lines left out, never code. Two kinds:

* dsfix's own, between the windows of a numbered excerpt in the prompt: `... (lines 120-340 not
  shown)`. A model that copies one into a diff or a SEARCH block means "the file goes on unchanged
  here", and its numbers say where the next part starts (``marker``, ``parse_marker``,
  ``split_at_markers``).
* the ones models write themselves, `...` or `# ... existing code ...`: split points whose place is
  found by content (``is_marker``, ``added_marker``, ``marker_lines``).
"""
from __future__ import annotations

import re

from .datatypes import Hunk, Line

_MARKER = re.compile(r"^\s*\.\.\. \(lines (\d+)-(\d+) not shown\)\s*$")


def marker(first: int, last: int) -> str:
    """The line that stands for file lines first..last (1-based, inclusive)."""
    return f"... (lines {first}-{last} not shown)"


def parse_marker(text: str) -> tuple[int, int] | None:
    m = _MARKER.match(text)
    return (int(m.group(1)), int(m.group(2))) if m else None


def split_at_markers(hunks: list[Hunk], file_lines: list[str], path: str,
                     notes: list[str]) -> list[Hunk]:
    """Hunks with every marker line taken out: a context or removed marker ends one hunk and
    starts the next after the lines it stands for; an added one is dropped. A line that really
    is in the file is left alone."""
    real = {s.strip() for s in file_lines}
    out: list[Hunk] = []
    for k, h in enumerate(hunks):
        marks = [ln for ln in h.lines if parse_marker(ln.text) and ln.text.strip() not in real]
        if not marks:
            out.append(h)
            continue
        notes.append(f"hunk {k + 1} of {path} quotes the excerpt's '{marks[0].text.strip()}' line, "
                     f"which is not in the file: split there")
        out += _split(h, real)
    return out


def _split(h: Hunk, real: set[str]) -> list[Hunk]:
    """Parts as (line the part follows, its lines); the first part keeps the hunk's header."""
    parts: list[tuple[int | None, list]] = [(None, [])]
    for ln in h.lines:
        span = parse_marker(ln.text) if ln.text.strip() not in real else None
        if span is None:
            parts[-1][1].append(ln)
        elif ln.tag != "+":
            parts.append((span[1], []))
    out = []
    for after, lines in parts:
        if not any(ln.tag != " " for ln in lines):
            continue  # context only: changes nothing
        part = Hunk(h.old_start if after is None else after + 1, lines)
        if after is not None and not part.old:
            part.old_start = after  # added lines only: they go after the lines elided ("-N,0")
        out.append(part)
    return out


# -- markers models write ------------------------------------------------------------

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
