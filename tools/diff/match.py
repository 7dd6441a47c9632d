"""Find where a hunk's old side sits in a file, by content.

Three levels, first that finds anything wins: exact, whitespace-insensitive, then
a fuzzy alignment where context may be missing, extra or slightly wrong but every
removed line must still match (ignoring whitespace). Choosing among several
candidates is left to the caller (see resolve.py), which knows the stated lines.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Sequence

from .datatypes import Line
from .text import norm

NEG = float("-inf")
SLACK = 8          # extra file lines a fuzzy window allows around the hunk
MAX_WINDOWS = 12   # fuzzy candidates examined per hunk
COMMON = 40        # lines occurring more often than this do not vote
SUBSTITUTE = -0.5  # a wrong context line standing in for a file line: cheaper than skip both


@dataclass
class Placement:
    align: list[int | None]  # per old-side line: file index, or None (extra context)
    level: str               # "exact" | "whitespace" | "fuzzy" (the worst of its parts)
    score: float = 0.0
    # a hunk matched in parts (split.py): each part's own lines and placement
    parts: list = field(default_factory=list)

    @property
    def start(self) -> int:
        return next(a for a in self.align if a is not None)


class FileIndex:
    """Lines of one file with lookup tables for exact and normalised content."""
    _tokens: dict[str, list[int]]  # set only once excerpt._token_index has built it (getattr there)

    def __init__(self, lines: list[str]):
        self.lines = lines
        self.norms = [norm(s) for s in lines]
        self.exact_pos: dict[str, list[int]] = defaultdict(list)
        self.norm_pos: dict[str, list[int]] = defaultdict(list)
        for i, (s, n) in enumerate(zip(lines, self.norms)):
            self.exact_pos[s].append(i)
            self.norm_pos[n].append(i)
        # trailing whitespace as the file's convention (most of its lines end in it):
        # otherwise a model's stray trailing spaces are not added (no gold patch adds any)
        text_lines = [s for s in lines if s.strip()]
        self.trailing_ws = sum(s[-1:].isspace() for s in text_lines) * 2 > len(text_lines)


def contiguous(old: list[Line], idx: FileIndex, level: str) -> list[Placement]:
    """All places where the old side matches line for line."""
    keys = [ln.text for ln in old] if level == "exact" else [norm(ln.text) for ln in old]
    table = idx.exact_pos if level == "exact" else idx.norm_pos
    fl = idx.lines if level == "exact" else idx.norms
    # anchor on the rarest line to keep the scan short
    j = min(range(len(keys)), key=lambda k: len(table.get(keys[k], ())))
    out = []
    for p in table.get(keys[j], ()):
        s = p - j
        if s >= 0 and s + len(keys) <= len(fl) and fl[s:s + len(keys)] == keys:
            out.append(Placement(list(range(s, s + len(keys))), level))
    return out


def fuzzy(old: list[Line], idx: FileIndex,
          taken: Sequence[tuple[int, int]] = ()) -> list[Placement]:
    """Best alignment in each window suggested by votes of matching lines, leaving
    out windows that overlap the `taken` spans."""
    votes: dict[int, float] = defaultdict(float)
    for j, ln in enumerate(old):
        key = norm(ln.text)
        pos = idx.norm_pos.get(key, ())
        if not key or len(pos) > COMMON:
            continue
        for p in pos:
            votes[p - j] += 2.0 if ln.tag == "-" else 1.0
    chosen: list[int] = []
    top = max(votes.values(), default=0.0)
    for off in sorted(votes, key=lambda o: (-votes[o], o)):
        if votes[off] < top / 3:  # far fewer matching lines: cannot rival the best
            break
        if all(abs(off - c) > SLACK for c in chosen):
            chosen.append(off)
        if len(chosen) >= MAX_WINDOWS:
            break
    seen, out = set(), []
    for off in chosen:
        lo, hi = max(0, off - SLACK), min(len(idx.lines), off + len(old) + SLACK)
        if any(off <= b and a < off + len(old) for a, b in taken):
            continue
        pl = align_window(old, idx, lo, hi, off - lo)
        if pl and any(_overlaps(pl, a, b) for a, b in taken):
            continue
        if pl and tuple(pl.align) not in seen:
            seen.add(tuple(pl.align))
            out.append(pl)
    return out


def _overlaps(pl: Placement, a: int, b: int) -> bool:
    got = [x for x in pl.align if x is not None]
    return got[0] <= b and a <= got[-1]


@lru_cache(maxsize=1 << 16)
def ratio(a: str, b: str) -> float:
    """Similarity of two normalised lines; cheap upper bounds first (0.0 below 0.5)."""
    if not a or not b:
        return 0.0
    sm = SequenceMatcher(None, a, b, autojunk=False)
    if sm.real_quick_ratio() < 0.5 or sm.quick_ratio() < 0.5:
        return 0.0
    return sm.ratio()


def similar(a: str, b: str) -> bool:
    return ratio(a, b) >= 0.8


def _ctx_score(h: Line, f_line: str, f_norm: str) -> float:
    """Reward for aligning a context line to a file line; NEG if they differ too much."""
    hn = norm(h.text)
    if hn == f_norm:
        return (1.0 if not hn else 2.0) + (0.01 if h.text == f_line else 0.0)
    r = ratio(hn, f_norm)
    # a misremembered line still resembles the real one; an unrelated line may
    # only be skipped, so it cannot pull added lines to the wrong side
    return 1.0 if r >= 0.8 else SUBSTITUTE if r >= 0.5 else NEG


def align_window(old: list[Line], idx: FileIndex, lo: int, hi: int,
                 diag: int) -> Placement | None:
    """Needleman-Wunsch style alignment of the whole old side inside lines[lo:hi],
    within SLACK lines of the diagonal (hunk line i near file line lo + diag + i).

    Removed lines must align to a whitespace-equal line and stay adjacent to each
    other; context may be skipped on either side at a cost of 1 per line.
    """
    m, w = len(old), hi - lo
    dp = [[NEG] * (w + 1) for _ in range(m + 1)]
    back: list[list[tuple[int, int, str] | None]] = [[None] * (w + 1) for _ in range(m + 1)]
    dp[0] = [0.0] * (w + 1)
    for i in range(m + 1):
        for j in range(max(0, diag + i - SLACK), min(w, diag + i + SLACK) + 1):
            cur = dp[i][j]
            if cur == NEG or i == m:
                continue
            h = old[i]
            if j < w:
                f, fn = idx.lines[lo + j], idx.norms[lo + j]
                if h.tag == "-":
                    gain = 3.0 + (0.01 if h.text == f else 0.0) if norm(h.text) == fn else NEG
                else:
                    gain = _ctx_score(h, f, fn)
                _relax(dp, back, i + 1, j + 1, cur + gain, (i, j, "a"))
                if i > 0 and not (old[i - 1].tag == "-" and h.tag == "-"):
                    _relax(dp, back, i, j + 1, cur - 1.0, (i, j, "f"))
            if h.tag != "-":
                _relax(dp, back, i + 1, j, cur - 1.0, (i, j, "h"))
    best_j = max(range(w + 1), key=lambda j: dp[m][j])
    if dp[m][best_j] == NEG:
        return None
    align: list[int | None] = [None] * m
    i, j = m, best_j
    while i > 0 and (step := back[i][j]) is not None:
        pi, pj, kind = step
        if kind == "a":
            align[pi] = lo + pj
        i, j = pi, pj
    if all(a is None for a in align):
        return None
    return Placement(_pair_gaps(align, old), "fuzzy", dp[m][best_j])


def _pair_gaps(align: list[int | None], old: list[Line]) -> list[int | None]:
    """Unaligned context lines that fill a file gap of the same size between two
    aligned lines are those file lines, misremembered: pair them up by position."""
    done = [(i, a) for i, a in enumerate(align) if a is not None]
    out = list(align)
    for (i0, a0), (i1, a1) in zip(done, done[1:]):
        if i1 - i0 > 1 and i1 - i0 == a1 - a0:
            if all(old[k].tag == " " for k in range(i0 + 1, i1)):
                for k in range(i0 + 1, i1):
                    out[k] = a0 + (k - i0)
    return out


def _relax(dp, back, i, j, val, frm):
    if val > dp[i][j]:
        dp[i][j] = val
        back[i][j] = frm
