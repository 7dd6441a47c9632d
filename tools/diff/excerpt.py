"""'Did you mean' text: show the model the file lines it probably meant."""
from __future__ import annotations

import re
from collections import defaultdict
from difflib import get_close_matches
from typing import AbstractSet

from .match import FileIndex, Placement
from .datatypes import Line
from .text import norm

_TOKEN = re.compile(r"\w+")
MAX_SHOWN = 12


def show(idx: FileIndex, path: str, lo: int, hi: int) -> str:
    """File lines lo..hi (0-based, exclusive) with 1-based numbers."""
    lo, hi = max(0, lo), min(len(idx.lines), hi, max(0, lo) + MAX_SHOWN)
    body = "\n".join(f"  {i + 1:>5} | {idx.lines[i]}" for i in range(lo, hi))
    return f"{path} lines {lo + 1}-{hi}:\n{body}" if hi > lo else f"{path} (empty)"


def _token_index(idx: FileIndex) -> dict[str, list[int]]:
    tix: dict[str, list[int]] | None = getattr(idx, "_tokens", None)
    if tix is None:
        tix = defaultdict(list)
        for i, s in enumerate(idx.lines):
            for t in set(_TOKEN.findall(s)):
                tix[t].append(i)
        idx._tokens = tix
    return tix


def guess(old: list[Line], idx: FileIndex) -> int | None:
    """Origin (file index of the hunk's first old line) that shares the most rare tokens."""
    tix = _token_index(idx)
    votes: dict[int, float] = defaultdict(float)
    for j, ln in enumerate(old):
        same = idx.norm_pos.get(norm(ln.text), ()) if ln.text.strip() else ()
        for p in same[:200]:
            votes[p - j] += 1.0
        for t in set(_TOKEN.findall(ln.text)):
            pos = tix.get(t, ())
            for p in pos[:200]:
                votes[p - j] += 1.0 / len(pos)
    if not votes:  # no shared token: fall back to the most similar single line
        for j, ln in enumerate(old):
            close = get_close_matches(norm(ln.text), idx.norms, n=1, cutoff=0.6)
            if close and norm(ln.text):
                return idx.norm_pos[close[0]][0] - j
    return max(votes, key=lambda o: (votes[o], -o)) if votes else None


def no_match(old: list[Line], idx: FileIndex, path: str) -> str:
    """Why the hunk found no place, and the most similar region of the file."""
    origin = guess(old, idx)
    if origin is None:
        return f"none of the hunk's lines occur in {path}: copy the context lines from the file as it is shown"
    lo, hi = origin - 1, origin + len(old) + 1
    near = {idx.norms[i] for i in range(max(0, lo - 3), min(len(idx.lines), hi + 3))}
    missing = [ln for ln in old if norm(ln.text) not in near]
    what = "; ".join(f"{ln.tag}{ln.text.strip()!r}" for ln in missing[:4]) or "their order"
    kind = "removed" if any(ln.tag == "-" for ln in missing) else "context"
    return (f"the hunk's {kind} lines do not match the file ({what} not found there); "
            f"did you mean {show(idx, path, lo, hi)}")


def ambiguous(cands: list[Placement], old: list[Line], idx: FileIndex, path: str) -> str:
    """The hunk fits several places equally well: list them (for a hunk in parts, the
    parts whose place differs)."""
    same = _same_parts(cands)
    spots = [_at(pl, idx, path, same) for pl in cands[:3]]
    more = f" (and {len(cands) - 3} more)" if len(cands) > 3 else ""
    return (f"the hunk matches {len(cands)} places equally well{more}; add more "
            f"distinctive context lines (or fix the @@ line numbers). Candidates:\n"
            + "\n".join(spots))


def _same_parts(cands: list[Placement]) -> set[int]:
    """Parts (by id of their lines) placed alike in every candidate."""
    where: dict[int, set] = defaultdict(set)
    for pl in cands:
        for part, part_pl in pl.parts:
            where[id(part)].add(tuple(part_pl.align))
    return {k for k, v in where.items() if len(v) == 1 and len(cands) > 1}


def _at(pl: Placement, idx: FileIndex, path: str, skip: AbstractSet[int] = frozenset()) -> str:
    """Where a placement puts the hunk: its span, or for a hunk in parts each part's
    (but those in skip)."""
    if pl.parts:
        shown = [_at(part_pl, idx, path) for part, part_pl in pl.parts if id(part) not in skip]
        return "\n".join(shown or [_at(pl.parts[0][1], idx, path)])
    a = [x for x in pl.align if x is not None]
    return show(idx, path, a[0], a[-1] + 1)


def far(pl: Placement, predicted: tuple[int, bool], idx: FileIndex, path: str) -> str:
    """An inexact match far from where the line numbers and the other hunks put it."""
    a = [x for x in pl.align if x is not None]
    line, anchored = predicted
    by = "its line numbers and the other hunks' places" if anchored else "its line numbers"
    return (f"the hunk matches only with inexact context, at line {a[0] + 1}, which is "
            f"{abs(a[0] - line)} lines from line {line + 1} where {by} put it; not applied, "
            f"to avoid editing the wrong place. Did you mean {_at(pl, idx, path)}\n"
            f"or {show(idx, path, line, line + 8)}")


def reason(why: str, spans: list[tuple[int, int]], idx: FileIndex, path: str) -> str:
    """A refusal with the file regions it is about, if any."""
    if not spans:
        return why
    return f"{why}; did you mean " + "\nor ".join(show(idx, path, a, b) for a, b in spans)


def elsewhere(pl: Placement, old: list[Line], idx: FileIndex, path: str) -> str:
    """The context points to one place but the removed lines only match another."""
    bad = [ln for ln, a in zip(old, pl.align)
           if ln.tag == "-" and (a is None or norm(ln.text) != idx.norms[a])]
    what = "; ".join(f"-{ln.text.strip()!r}" for ln in bad[:4])
    a = [x for x in pl.align if x is not None]
    return (f"the context matches best at line {a[0] + 1}, but the removed lines there "
            f"differ ({what}); similar lines elsewhere were not used, to avoid editing the "
            f"wrong place. Did you mean {show(idx, path, a[0], a[-1] + 1)}")
