"""A file patch that names a file which does not exist: find the file the model meant.

Models get paths slightly wrong: a `src/` layout assumed or forgotten, a directory
left out, a name made plural. Candidates are existing files with the same name (or,
in the same directory, nearly the same name), tried from the most similar path down;
the patch goes to a file only if, among the most similar candidates, it is the one
where every hunk applies.
"""
from __future__ import annotations

import posixpath
from difflib import SequenceMatcher
from itertools import groupby
from typing import Callable, Iterable

MAX_TRIED = 12      # candidate files whose hunks are tried; more similar ones: refuse
NAME_RATIO = 0.8    # how alike two file names must be (same directory) to be confused


def candidates(path: str, files: Iterable[str]) -> list[list[str]]:
    """Existing files the path may have meant, in tiers of equal similarity, best first."""
    scored = [(s, f) for f in files if (s := _similarity(path, f)) is not None]
    scored.sort(key=lambda sf: (sf[0], sf[1]), reverse=True)
    return [[f for _, f in tier] for _, tier in groupby(scored, key=lambda sf: sf[0])]


def _similarity(path: str, other: str) -> tuple[int, int, int] | None:
    """(same name, shared trailing directories, shared leading directories), or None
    when the other file's name is not the same (nor, in the same directory, close)."""
    a, b = path.split("/"), other.split("/")
    same = a[-1] == b[-1]
    if not same and not (a[:-1] == b[:-1] and _close_names(a[-1], b[-1])):
        return None
    tail = next((k for k in range(1, min(len(a), len(b))) if a[-1 - k] != b[-1 - k]),
                min(len(a), len(b)) - 1)
    head = next((k for k in range(min(len(a), len(b)) - 1) if a[k] != b[k]),
                min(len(a), len(b)) - 1)
    return int(same), tail, head


def _close_names(x: str, y: str) -> bool:
    (sx, ex), (sy, ey) = posixpath.splitext(x), posixpath.splitext(y)
    return ex == ey and SequenceMatcher(None, sx, sy).ratio() >= NAME_RATIO


def relocate(path: str, files: Iterable[str],
             applies: Callable[[str], bool]) -> tuple[str | None, str]:
    """(the file meant, note) or (None, why not). applies(f) tells whether all hunks
    apply to f. A tier of equally similar candidates where two apply is ambiguous."""
    tiers = candidates(path, files)
    tried = 0
    for tier in tiers:
        if tried + len(tier) > MAX_TRIED:
            break
        tried += len(tier)
        fits = [f for f in tier if applies(f)]
        if len(fits) == 1:
            return fits[0], (f"{path} does not exist; applied to {fits[0]}, the most "
                             f"similar path where the hunks apply")
        if len(fits) > 1:
            return None, (f"file does not exist; the hunks apply to several files of that "
                          f"name ({', '.join(fits[:4])}): name the one meant")
    near = ", ".join(f for tier in tiers[:2] for f in tier[:3])
    return None, ("file does not exist (to create it, use --- /dev/null)"
                  + (f"; files with a similar path: {near}" if near else ""))
