"""Elision markers: the line a numbered excerpt of a file shows where it leaves lines out.

A prompt shows a long file as several windows with `... (lines 120-340 not shown)` between them.
A model that copies such a line into a diff or a SEARCH block means "the file goes on unchanged
here"; it is never file content. So a hunk is split at it, and its line numbers say where the next
part starts, instead of the applier looking for the marker in the file.
"""
from __future__ import annotations

import re

from .model import Hunk

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
