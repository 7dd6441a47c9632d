"""Pick one placement per hunk of a file, or refuse with a reason.

A hunk with a single candidate is an anchor; its offset from the stated line
predicts where the ambiguous hunks should be (interpolated between anchors). An
ambiguous hunk is placed only when one candidate sits (almost) exactly at the
predicted line, or, for inexact matches, when the same candidate both scores
clearly best and is nearest. Anything else is refused with the candidates listed.
"""
from __future__ import annotations

from dataclasses import dataclass

from .match import FileIndex, Placement, similar, contiguous, fuzzy
from .model import Hunk, Line
from .text import norm

NEAR = 2        # how close (lines) to the predicted line an ambiguous pick must be
MARGIN = 2.0    # fuzzy score gap below the best that still counts as a rival


@dataclass
class Found:
    """Candidates for one hunk at the first level that produced any."""
    cands: list[Placement]
    level: str | None
    elsewhere: Placement | None = None  # context fits better here, removed lines do not


def origin(pl: Placement) -> int:
    """File index where the hunk's first old line would be."""
    j = next(k for k, a in enumerate(pl.align) if a is not None)
    return pl.align[j] - j


def find(old: list[Line], idx: FileIndex) -> Found:
    for level in ("exact", "whitespace"):
        cands = contiguous(old, idx, level)
        if cands:
            return Found(cands, level)
    cands = _distinct([pl for pl in fuzzy(old, idx) if strong(pl, old, idx)])
    if not cands:
        return Found([], None)
    best = max(pl.score for pl in cands)
    rivals = [pl for pl in cands if pl.score >= best - MARGIN]
    other = _context_elsewhere(old, idx, rivals)
    if other is not None:
        return Found([], None, elsewhere=other)
    return Found(sorted(rivals, key=origin), "fuzzy")


def _context_elsewhere(old: list[Line], idx: FileIndex, cands: list[Placement]):
    """Where the hunk fits best if removed lines may mismatch too, when that place is
    not a candidate and matches more lines: the removed lines found at the candidate
    are then probably a look-alike, and applying there would be the wrong place."""
    best = max(_solid(c, old, idx) for c in cands)
    if best == sum(1 for ln in old if norm(ln.text)):
        return None  # every line matched: nowhere can match more
    loose = [Line(" ", ln.text) for ln in old]
    alts = fuzzy(loose, idx, taken=[_span(c) for c in cands])
    alt = max(alts, key=lambda pl: _solid(pl, old, idx), default=None)
    return alt if alt is not None and _solid(alt, old, idx) > best else None


def _solid(pl: Placement, old: list[Line], idx: FileIndex) -> int:
    return sum(1 for ln, a in zip(old, pl.align)
               if a is not None and norm(ln.text) and norm(ln.text) == idx.norms[a])


def _span(pl: Placement) -> tuple[int, int]:
    a = [x for x in pl.align if x is not None]
    return a[0], a[-1]


def _distinct(cands: list[Placement]) -> list[Placement]:
    """Best alignment per region: overlapping windows yield variants of one place."""
    kept: list[Placement] = []
    for pl in sorted(cands, key=lambda p: -p.score):
        lo, hi = _span(pl)
        if all(hi < _span(k)[0] or lo > _span(k)[1] for k in kept):
            kept.append(pl)
    return kept


def strong(pl: Placement, old: list[Line], idx: FileIndex) -> bool:
    """Enough of the hunk really matched to trust a fuzzy placement."""
    solid = weak = 0.0
    for ln, a in zip(old, pl.align):
        if a is None:
            continue
        key = norm(ln.text)
        if key == idx.norms[a]:
            if key:
                solid += 1
            else:
                weak += 0.5
        elif similar(key, idx.norms[a]):
            weak += 0.5
    aligned = [a for a in pl.align if a is not None]
    skipped = aligned[-1] - aligned[0] + 1 - len(aligned)
    has_del = any(ln.tag == "-" for ln in old)
    if solid + weak < 0.5 * len(old) or skipped > max(2, len(old) // 2):
        return False
    return solid >= (1 if has_del else 2)


def pick(found: Found, predicted: int | None) -> Placement | None:
    """The single candidate, or the one at the predicted line, or (fuzzy) the one that
    both scores best and is nearest the predicted line; None if ambiguous."""
    if len(found.cands) == 1:
        return found.cands[0]
    if predicted is None or not found.cands:
        return None
    ranked = sorted(found.cands, key=lambda pl: abs(origin(pl) - predicted))
    d0, d1 = (abs(origin(pl) - predicted) for pl in ranked[:2])
    if d0 <= NEAR and d1 > d0:
        return ranked[0]
    by_score = sorted(found.cands, key=lambda pl: -pl.score)
    if by_score[0] is ranked[0] and by_score[0].score >= by_score[1].score + 1.0 and d1 > d0:
        return ranked[0]
    return None


def predictions(hunks: list[Hunk], chosen: list[Placement | None]) -> list[int | None]:
    """Predicted origin per hunk: the stated line shifted like the anchors around it
    (hunks placed without doubt), interpolated between the two nearest."""
    anchors = sorted((h.old_start, origin(pl) - (h.old_start - 1))
                     for h, pl in zip(hunks, chosen) if pl is not None and h.old_start)
    out: list[int | None] = []
    for h in hunks:
        out.append(None if not h.old_start else h.old_start - 1 + _offset(anchors, h.old_start))
    return out


def _offset(anchors: list[tuple[int, int]], line: int) -> int:
    if not anchors:
        return 0
    below = [a for a in anchors if a[0] <= line]
    above = [a for a in anchors if a[0] >= line]
    if not below or not above:
        return (below or above)[-1 if below else 0][1]
    (l0, o0), (l1, o1) = below[-1], above[0]
    return o0 if l1 == l0 else round(o0 + (o1 - o0) * (line - l0) / (l1 - l0))
