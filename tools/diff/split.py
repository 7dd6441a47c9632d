"""Hunks in parts: a hunk cut at its elision markers, or where its context jumps forward
in the file (two nearby hunks written as one), each part matched on its own and the
parts kept in order and close together.

A part that changes nothing may stay unplaced; every part that changes something must
be placed. When the parts can be placed in more than one way that moves a change, each
way is a candidate and the caller refuses unless the stated line settles it.
"""
from __future__ import annotations

from dataclasses import dataclass

from .elisions import marker_lines
from .jumps import jump_points
from .match import FileIndex, Placement
from .datatypes import Hunk, Line

MAX_JUMP = 200         # file lines a part may skip after the previous one (no marker)
MAX_ELIDED = 1000      # the same when a marker says lines were left out
MAX_CHAINS = 64        # part placements examined per hunk
LEVELS = ("exact", "whitespace", "fuzzy")


@dataclass
class Part:
    hunk: Hunk                 # the part's own lines, as a hunk without a stated line
    old_index: list[int]       # index in the whole hunk's old side of each old line here

    @property
    def changes(self) -> bool:
        return any(ln.tag != " " for ln in self.hunk.lines)


Numbered = tuple[int, Line]  # a hunk line and its index on the old side (-1: added)


def cut(h: Hunk, idx: FileIndex) -> tuple[list[Part], int, str] | str | None:
    """(parts, largest allowed skip, "marker" or "jump"); a reason when added lines sit
    at a jump where they could go on either side; None if the hunk is in one piece."""
    numbered, i = [], 0
    for ln in h.lines:
        numbered.append((i if ln.tag != "+" else -1, ln))
        i += ln.tag != "+"
    markers = marker_lines(h.lines)
    if markers:
        bounds = [-1] + markers + [len(numbered)]
        pieces = [numbered[a + 1:b] for a, b in zip(bounds, bounds[1:])]
        return [_part(p) for p in pieces if p], MAX_ELIDED, "marker"
    cuts = jump_points(h.old, idx, MAX_JUMP)
    if not cuts:
        return None
    at_jumps = _cut_at(numbered, set(cuts))
    return at_jumps if isinstance(at_jumps, str) else ([_part(p) for p in at_jumps], MAX_JUMP, "jump")


def _part(lines: list[Numbered]) -> Part:
    return Part(Hunk(None, [ln for _, ln in lines]), [i for i, ln in lines if ln.tag != "+"])


def _cut_at(lines: list[Numbered], cuts: set[int]) -> list[list[Numbered]] | str:
    """Split before old line k for each cut k. Added lines between old[k-1] and old[k]
    replace a removed line next to them; with context on both sides (or removed lines
    on both) the hunk does not say which place they belong to."""
    pieces: list[list[Numbered]] = []
    cur: list[Numbered] = []
    for i, ln in lines:
        if i in cuts:
            added: list[Numbered] = []
            while cur and cur[-1][1].tag == "+":
                added.insert(0, cur.pop())
            before = cur[-1][1].tag if cur else " "
            if added and (before == "-") == (ln.tag == "-"):
                return (f"added lines sit where the hunk's context jumps (before its old line "
                        f"{i + 1}): they could go at either place; add the lines between")
            if before == "-":
                cur, added = cur + added, []
            pieces.append(cur)
            cur = added
        cur.append((i, ln))
    pieces.append(cur)
    return pieces


def chains(parts: list[Part], cands: list[list[Placement]], max_skip: int
           ) -> list[list[Placement | None]]:
    """Every way to place the parts in file order, each within max_skip lines after the
    previous placed one; a part that changes nothing is left out when it cannot be placed."""
    out: list[list[Placement | None]] = []

    def walk(k: int, prev_end: int | None, acc: list[Placement | None]) -> None:
        if len(out) >= MAX_CHAINS:
            return
        if k == len(parts):
            out.append(list(acc))
            return
        fits = [c for c in cands[k] if _follows(c, prev_end, max_skip)]
        if not fits and not parts[k].changes:
            walk(k + 1, prev_end, acc + [None])
        for c in fits:
            walk(k + 1, span(c)[1], acc + [c])
    walk(0, None, [])
    return out


def _follows(pl: Placement, prev_end: int | None, max_skip: int) -> bool:
    if prev_end is None:
        return True
    lo = span(pl)[0]
    return prev_end < lo <= prev_end + 1 + max_skip


def span(pl: Placement) -> tuple[int, int]:
    a = [x for x in pl.align if x is not None]
    return a[0], a[-1]


def combine(h: Hunk, parts: list[Part], chain: list[Placement | None]) -> Placement:
    """One placement of the whole hunk: its old lines aligned where their parts went
    (markers and unplaced parts: None), the parts kept for making the edits."""
    align: list[int | None] = [None] * len(h.old)
    placed = [(p, pl) for p, pl in zip(parts, chain) if pl is not None]
    for part, pl in placed:
        for i, a in zip(part.old_index, pl.align):
            align[i] = a
    level = max((pl.level for _, pl in placed), key=LEVELS.index)
    score = sum(pl.score for _, pl in placed)
    return Placement(align, level, score, parts=[(p.hunk, pl) for p, pl in placed])


def distinct(h: Hunk, parts: list[Part], found: list[list[Placement | None]]) -> list[Placement]:
    """One combined placement per distinct place of the changing parts (placements that
    differ only in where unchanged lines matched make the same edits): the best scored."""
    best: dict[tuple, Placement] = {}
    for chain in found:
        key = tuple(span(pl) for p, pl in zip(parts, chain) if p.changes and pl is not None)
        pl = combine(h, parts, chain)
        if key not in best or _rank(pl) > _rank(best[key]):
            best[key] = pl
    return sorted(best.values(), key=lambda pl: span(pl)[0])


def _rank(pl: Placement) -> tuple:
    return (-LEVELS.index(pl.level), len(pl.parts), pl.score)
