"""Where a hunk's old side jumps forward in the file: lines consecutive in the hunk but
not in the file, as when a model writes two nearby hunks as one and leaves out the
unchanged lines between them (without an elision marker).

Each old line votes for the diagonals (file line - hunk line) it matches on; a
dynamic programme then walks the hunk, staying on a diagonal or jumping forward to a
larger one at a cost. A jump is kept only when it explains more matching lines than
it costs; small slips (a line dropped or invented) stay within one diagonal's band
and are left to the fuzzy matcher.
"""
from __future__ import annotations

from collections import defaultdict

from .match import COMMON, FileIndex
from .datatypes import Line
from .text import norm

BAND = 2             # a line is on a diagonal when it matches within this many lines of it
MIN_JUMP = 2 * BAND + 1  # smaller moves are slips the band (and the fuzzy matcher) absorbs
JUMP_COST = 2.0      # matching lines a jump must gain: one lucky line does not split a hunk
MAX_DIAGONALS = 24
BLANK = 0.2          # blank lines match everywhere: they barely count


def jump_points(old: list[Line], idx: FileIndex, max_jump: int) -> list[int]:
    """Indexes k of old lines that start a new part: old[k-1] and old[k] sit more than
    MIN_JUMP (at most max_jump) lines further apart in the file than in the hunk."""
    keys = [norm(ln.text) for ln in old]
    diags = _diagonals(keys, idx)
    if len(diags) < 2:
        return []
    hits = [[_hit(keys, i, d, idx) for d in diags] for i in range(len(keys))]
    path = _best_path(hits, diags, max_jump)
    cuts = [i for i in range(1, len(path)) if path[i] != path[i - 1]]
    return _refine(cuts, path, keys, idx)


def _diagonals(keys: list[str], idx: FileIndex) -> list[int]:
    """Diagonals that distinctive (non-blank, not too common) lines match on, by votes."""
    votes: dict[int, int] = defaultdict(int)
    for i, k in enumerate(keys):
        pos = idx.norm_pos.get(k, ())
        if k and len(pos) <= COMMON:
            for p in pos:
                votes[p - i] += 1
    best = sorted(votes, key=lambda d: (-votes[d], d))[:MAX_DIAGONALS]
    return sorted(best)


def _hit(keys: list[str], i: int, d: int, idx: FileIndex) -> float:
    k, n = keys[i], len(idx.norms)
    if not k:
        return BLANK if 0 <= i + d < n and not idx.norms[i + d] else 0.0
    return 1.0 if any(0 <= i + d + e < n and idx.norms[i + d + e] == k
                      for e in range(-BAND, BAND + 1)) else 0.0


def _best_path(hits: list[list[float]], diags: list[int], max_jump: int) -> list[int]:
    """Diagonal per old line maximising hits minus JUMP_COST per forward jump."""
    n_d = len(diags)
    score = list(hits[0])
    back: list[list[int]] = [[a for a in range(n_d)]]
    for row in hits[1:]:
        new, frm = [], []
        for b in range(n_d):
            best_a, best = b, score[b]
            for a in range(n_d):
                step = diags[b] - diags[a]
                if MIN_JUMP <= step <= max_jump and score[a] - JUMP_COST > best:
                    best_a, best = a, score[a] - JUMP_COST
            new.append(best + row[b])
            frm.append(best_a)
        score = new
        back.append(frm)
    b = max(range(n_d), key=lambda x: score[x])
    path = [0] * len(hits)
    for i in range(len(hits) - 1, -1, -1):
        path[i] = diags[b]
        b = back[i][b]
    return path


def _refine(cuts: list[int], path: list[int], keys: list[str], idx: FileIndex) -> list[int]:
    """Move each cut to where the lines on both sides match their diagonal exactly:
    lines that fit either side (blank, `return x`) leave the programme's cut arbitrary."""
    out = []
    bounds = [0] + cuts + [len(keys)]
    for j, k in enumerate(cuts):
        lo, hi = bounds[j] + 1, bounds[j + 2] - 1
        a, b = path[k - 1], path[k]

        def fit(c: int) -> int:
            left = sum(_exact(keys, i, a, idx) for i in range(max(lo - 1, c - 6), c))
            right = sum(_exact(keys, i, b, idx) for i in range(c, min(hi + 1, c + 6)))
            return left + right
        window = range(max(lo, k - BAND - 2), min(hi, k + BAND + 2) + 1)
        out.append(max(window, key=lambda c: (fit(c), c == k)))
    return out


def _exact(keys: list[str], i: int, d: int, idx: FileIndex) -> int:
    return int(0 <= i + d < len(idx.norms) and idx.norms[i + d] == keys[i])
