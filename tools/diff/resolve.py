"""Pick one placement per hunk of a file, or refuse with a reason.

A hunk with a single exact or whitespace-insensitive candidate is an anchor; its
offset from the stated line predicts where the other hunks should be (interpolated
between anchors). An ambiguous hunk is placed only when one candidate sits (almost)
exactly at the predicted line. A placement with inexact context (fuzzy, or in parts)
must also lie within FAR lines of the prediction: a look-alike further away is the
wrong place more often than the model's line numbers are that wrong.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .match import SLACK, FileIndex, Placement, contiguous, fuzzy, similar
from .datatypes import Hunk, Line
from .split import chains, cut, distinct, span
from .text import norm

NEAR = 2        # how close (lines) to the predicted line an ambiguous pick must be
FAR = 30        # how far from the anchors' prediction an inexact placement may be
FAR_STATED = 60  # the same when only its own stated line predicts it
MARGIN = 2.0    # fuzzy score gap below the best that still counts as a rival
QUOTED_MIN = 12  # characters (whitespace aside) a context line needs to be telling elsewhere


@dataclass
class Found:
    """Candidates for one hunk at the first level that produced any."""
    cands: list[Placement]
    level: str | None          # "exact" | "whitespace" | "split" | "fuzzy" | None
    elsewhere: Placement | None = None  # context fits better here, removed lines do not
    why: str | None = None     # a reason to refuse, with the file spans it is about
    spans: list[tuple[int, int]] = field(default_factory=list)


def origin(pl: Placement) -> int:
    """File index where the hunk's first old line would be."""
    j, a = next((k, a) for k, a in enumerate(pl.align) if a is not None)
    return a - j


def inexact(pl: Placement) -> bool:
    return pl.level == "fuzzy" or bool(pl.parts)


def find(h: Hunk, idx: FileIndex) -> Found:
    """Contiguous matches first; then the hunk in parts (markers, jumps); then fuzzy.
    A hunk with elision markers is never matched fuzzily as a whole: its markers
    would be taken for context lines."""
    for level in ("exact", "whitespace"):
        cands = contiguous(h.old, idx, level)
        if cands:
            return Found(cands, level)
    parted = _find_parts(h, idx)
    if parted is not None and (parted.cands or parted.level == "marker"):
        return parted if parted.cands else Found([], None, why=parted.why, spans=parted.spans)
    found = find_fuzzy(h.old, idx)
    if not found.cands and parted is not None and parted.why:
        return parted  # the parts' reason says more than "no match"
    return found


def _find_parts(h: Hunk, idx: FileIndex) -> Found | None:
    got = cut(h, idx)
    if got is None:
        return None
    if isinstance(got, str):
        return Found([], "jump", why=got)
    parts, max_skip, how = got
    cands = []
    for part in parts:
        f = find_plain(part.hunk.old, idx)
        if f.elsewhere is not None and part.changes:
            a, b = span(f.elsewhere)
            return Found([], how, why="a part of the hunk matches best where its removed "
                         "lines differ", spans=[(a, b + 1)])
        cands.append(f.cands)
    found = chains(parts, cands, max_skip)
    if not found:
        spots = [span(c) for cs in cands for c in cs[:1]]
        return Found([], how, why=f"the hunk's {len(parts)} parts (cut at "
                     f"{'its elision markers' if how == 'marker' else 'jumps of its context'}) "
                     f"are not all found in order, close together",
                     spans=[(a, b + 1) for a, b in spots[:3]])
    return Found(distinct(h, parts, found), "split")


def find_plain(old: list[Line], idx: FileIndex) -> Found:
    """Exact, whitespace-insensitive, then fuzzy matches of old lines in one piece."""
    for level in ("exact", "whitespace"):
        cands = contiguous(old, idx, level)
        if cands:
            return Found(cands, level)
    return find_fuzzy(old, idx)


def find_fuzzy(old: list[Line], idx: FileIndex) -> Found:
    cands = _distinct([pl for pl in fuzzy(old, idx) if strong(pl, old, idx)])
    if not cands:
        return Found([], None)
    best = max(pl.score for pl in cands)
    rivals = [pl for pl in cands if pl.score >= best - MARGIN]
    other = _context_elsewhere(old, idx, rivals)
    if other is not None:
        return Found([], None, elsewhere=other)
    # a rival that leaves out a context line found exactly elsewhere is a look-alike
    quoted = [(pl, q) for pl in rivals if (q := _quoted_elsewhere(pl, old, idx))]
    if len(quoted) == len(rivals):
        pl, (k, line) = quoted[0]
        a, b = span(pl)
        return Found([], None, spans=[(a, b + 1), (line - 2, line + 6)], why=(
            f"the hunk's context line {old[k].text.strip()!r} is not in the file where "
            f"the rest matches (line {a + 1}) but at line {line + 1}: the hunk may "
            f"describe two places as one"))
    rivals = [pl for pl in rivals if all(pl is not q for q, _ in quoted)]
    return Found(sorted(rivals, key=origin), "fuzzy")


def _quoted_elsewhere(pl: Placement, old: list[Line], idx: FileIndex
                      ) -> tuple[int, int] | None:
    """(hunk line, file line) of a context line the placement leaves unaligned, or
    aligns to a merely similar line, whose exact text is a distinctive line elsewhere
    in the file: a merged hunk's other half, matched here as a misremembered line."""
    lo, hi = span(pl)
    for k, (ln, a) in enumerate(zip(old, pl.align)):
        key = norm(ln.text)
        # short lines (`return ()`) recur by chance, a misremembered one included
        if ln.tag != " " or len(key) < QUOTED_MIN or (a is not None and idx.norms[a] == key):
            continue
        pos = idx.norm_pos.get(key, ())
        if 0 < len(pos) <= 2 and all(p < lo - SLACK or p > hi + SLACK for p in pos):
            return k, pos[0]
    return None


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


def pick(found: Found, predicted: tuple[int, bool] | None) -> Placement | None:
    """The single candidate, or the one at the predicted line, or (inexact) the one that
    both scores best and is nearest the predicted line; None if ambiguous."""
    if len(found.cands) == 1:
        return found.cands[0]
    if predicted is None or not found.cands:
        return None
    line = predicted[0]
    ranked = sorted(found.cands, key=lambda pl: abs(origin(pl) - line))
    d0, d1 = (abs(origin(pl) - line) for pl in ranked[:2])
    if d0 <= NEAR and d1 > d0:
        return ranked[0]
    # inexact rivals: the nearest may win if it also explains clearly more lines
    by_score = sorted(found.cands, key=lambda pl: -pl.score)
    if by_score[0] is ranked[0] and by_score[0].score >= by_score[1].score + 1.0 and d1 > d0:
        return ranked[0]
    return None


def too_far(k: int, pl: Placement, predicted: tuple[int, bool] | None,
            hunks: list[Hunk], chosen: list[Placement | None]) -> bool:
    """An inexact placement further from where hunk k is expected than FAR lines
    (FAR_STATED when the prediction is the stated line alone), unless another hunk
    matched inexactly at the same offset: independent matches that agree on how far
    off the line numbers are (a file from another version, say) are not look-alikes."""
    if predicted is None or not inexact(pl):
        return False
    line, anchored = predicted
    if abs(origin(pl) - line) <= (FAR if anchored else FAR_STATED):
        return False
    start = hunks[k].old_start
    assert start is not None  # predictions() predicts no line for a hunk without a stated one
    off = origin(pl) - (start - 1)
    return not any(j != k and other is not None and h.old_start and inexact(other)
                   and abs(origin(other) - (h.old_start - 1) - off) <= NEAR
                   for j, (h, other) in enumerate(zip(hunks, chosen)))


def predictions(hunks: list[Hunk], chosen: list[Placement | None]
                ) -> list[tuple[int, bool] | None]:
    """Predicted origin per hunk, and whether other hunks back it: the stated line
    shifted like the anchors around it (other hunks placed exactly and without doubt),
    interpolated between the two nearest; the stated line itself when there are none."""
    anchors = [(h.old_start, origin(pl) - (h.old_start - 1), k)
               for k, (h, pl) in enumerate(zip(hunks, chosen))
               if pl is not None and h.old_start and not inexact(pl)]
    out: list[tuple[int, bool] | None] = []
    for k, h in enumerate(hunks):
        others = sorted((line, off) for line, off, j in anchors if j != k)
        if not h.old_start:
            out.append(None)
        else:
            out.append((h.old_start - 1 + _offset(others, h.old_start), bool(others)))
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
