"""Turn a placed hunk into line edits on the original file."""
from __future__ import annotations

from dataclasses import dataclass, field

from .match import COMMON, FileIndex, Placement
from .text import norm
from .datatypes import Hunk, Line


class EditError(Exception):
    """The hunk matched, but where its added lines go is not clear."""

    def __init__(self, msg: str, line: int | None):
        super().__init__(msg)
        self.line = line  # 0-based file line the problem is at, for the excerpt


@dataclass
class Edit:
    start: int                 # replace file lines [start, end) ...
    end: int
    new: list[str] = field(default_factory=list)   # ... with these lines
    order: int = 0             # hunk number, to keep insertions at one point stable


@dataclass
class _Placed:
    """One hunk (or part) placed in the file: what its blocks' edits are made from."""
    old: list[Line]
    pl: Placement
    idx: FileIndex
    shift: int                 # columns to re-indent added lines by
    strip: bool                # drop trailing whitespace of added lines
    order: int


def hunk_edits(hunk: Hunk, pl: Placement, idx: FileIndex, order: int) -> tuple[list[Edit], int]:
    """Edits for each run of changed lines, and the columns added lines were moved
    by (non-zero when the whole hunk was consistently shifted from the file). A hunk
    placed in parts gets each part's edits."""
    if pl.parts:
        edits: list[Edit] = []
        shift = 0
        for part, part_pl in pl.parts:
            more, s = hunk_edits(part, part_pl, idx, order)
            edits, shift = edits + more, shift or s
        return edits, shift
    # a file whose lines do not end in whitespace gets none from a model's added lines
    at = _Placed(hunk.old, pl, idx, indent_shift(hunk.old, pl, idx.lines),
                 not idx.trailing_ws, order)
    edits, oi, block, before = [], 0, [], None
    for k, ln in enumerate(hunk.lines + [Line(" ", "")]):  # sentinel flushes the last block
        if ln.tag != " ":
            block.append((ln, oi if ln.tag == "-" else None))
            oi += ln.tag == "-"
            continue
        if block:
            after = oi if oi < len(pl.align) else None
            edits.append(_block_edit(block, before, after, at))
            block = []
        if k < len(hunk.lines):
            _unmarked_between(at, hunk.lines, k, oi)
        before, oi = oi, oi + 1
    return edits, at.shift


def _unmarked_between(at: _Placed, lines: list[Line], k: int, oi: int) -> None:
    """A context line with changed lines on both sides that is not in the file there is an
    added line written without its '+' (invented context sits next to context): applying
    without it would lose that code."""
    if 0 < k < len(lines) - 1 and lines[k - 1].tag != " " and lines[k + 1].tag != " " \
            and at.pl.align[oi] is None and lines[k].text.strip():
        near = _nearest(at.pl.align, oi, -1)
        raise EditError(f"the line {lines[k].text.strip()!r} between changed lines is not in "
                        f"the file; if it is new code, mark it '+'", near)


def _block_edit(block, before: int | None, after: int | None, at: _Placed) -> Edit:
    # a file line removed and added again as it is (an unchanged line written as a -/+
    # pair) keeps its text, trailing whitespace included
    again = {at.idx.lines[at.pl.align[i]] for ln, i in block
             if ln.tag == "-" and at.pl.align[i] is not None}
    new = [_reindent(ln.text.rstrip() if at.strip and ln.text not in again else ln.text,
                     at.shift) for ln, _ in block if ln.tag == "+"]
    p = _nearest(at.pl.align, before, -1)
    q = _nearest(at.pl.align, after, +1)
    dels = [at.pl.align[i] for _, i in block if i is not None]
    if dels:
        return _replace(block, dels, p, q, new, at)
    if p is None and q is None:
        raise EditError("no context line next to the added text matches the file", None)
    _check_sides(at, before, after, anchor=-1 if q is None else +1 if p is None else 0)
    norms = at.idx.norms
    if p is not None and q is not None and q != p + 1:
        if _slides(norms, p, q, p):      # "b b | Y": the hunk's b was the last one
            p = q - 1
        elif not _slides(norms, p, q, q):
            raise EditError(f"the lines around the added text are not adjacent in the file "
                            f"(lines {p + 1} and {q + 1}); context is missing between them", p)
    line = p + 1 if p is not None else q
    assert line is not None  # p or q is set: with neither, the EditError above was raised
    return Edit(line, line, new, at.order)


def _replace(block, dels: list[int], p: int | None, q: int | None, new: list[str],
             at: _Placed) -> Edit:
    """The removed lines replaced by the added ones of the block."""
    norms = at.idx.norms
    if dels != list(range(dels[0], dels[0] + len(dels))):
        raise EditError(f"the removed lines are not one run of lines in the file "
                        f"(lines {dels[0] + 1}-{dels[-1] + 1})", dels[0])
    # added lines before/after the removed ones go next to the context; if
    # context is missing there, they could belong on either side of the gap
    if block[0][0].tag == "+" and p is not None and not _slides(norms, p, dels[0], p):
        raise EditError(f"context is missing between line {p + 1} and the removed "
                        f"line {dels[0] + 1}, so the added lines could go on either side", p)
    if block[-1][0].tag == "+" and q is not None and not _slides(norms, dels[-1], q, q):
        raise EditError(f"context is missing between the removed line {dels[-1] + 1} "
                        f"and line {q + 1}, so the added lines could go on either side", q)
    return Edit(dels[0], dels[-1] + 1, new, at.order)


def _check_sides(at: _Placed, before: int | None, after: int | None, anchor: int) -> None:
    """Added lines go between the context written next to them. Two or more lines on
    one side that are not in the file there mean the hunk's picture of the place is
    wrong (two places written as one, say): refuse if that side is the only context
    found (anchor: -1 before, +1 after), or if those lines are in the file elsewhere."""
    align = at.pl.align
    for i, step in ((before, -1), (after, +1)):
        if i is None:  # no line on that side: no run
            continue
        run = []
        while 0 <= i < len(align) and align[i] is None:
            run.append(i)
            i += step
        if len(run) < 2:
            continue
        found = [at.idx.norm_pos.get(norm(at.old[k].text), ()) for k in run
                 if at.old[k].text.strip()]
        where = [pos[0] for pos in found if 0 < len(pos) <= COMMON]
        if step == anchor or where:
            also = f" (one is at line {where[0] + 1})" if where else ""
            raise EditError(f"{len(run)} context lines next to the added text are not in the "
                            f"file there{also}", align[i] if 0 <= i < len(align) else None)


def _nearest(align: list[int | None], i: int | None, step: int) -> int | None:
    """File line of the nearest aligned old line from i on, in direction step; old lines
    left unaligned in between are context the file does not have."""
    while i is not None and 0 <= i < len(align):
        if align[i] is not None:
            return align[i]
        i += step
    return None


def _slides(norms: list[str], a: int, b: int, same_as: int) -> bool:
    """True if the gap a+1..b-1 is empty or every line in it equals line same_as
    (then the alignment could put the gap on the other side of that line)."""
    return all(norms[x] == norms[same_as] for x in range(a + 1, b))


def indent_shift(old: list[Line], pl: Placement, file_lines: list[str]) -> int:
    """Columns every matched line is shifted by (0 when inconsistent or tabs)."""
    shifts, pairs = set(), 0
    for ln, a in zip(old, pl.align):
        if a is None or not ln.text.strip():
            continue
        h, f = ln.text, file_lines[a]
        if h.strip() != f.strip() or "\t" in _lead(h) + _lead(f):
            return 0
        shifts.add(len(_lead(f)) - len(_lead(h)))
        pairs += 1
    shift = shifts.pop() if len(shifts) == 1 and pairs >= 2 else 0
    # one column is the diff prefix space lost or doubled on context lines only
    return 0 if abs(shift) == 1 else shift


def _lead(s: str) -> str:
    return s[: len(s) - len(s.lstrip())]


def _reindent(text: str, shift: int) -> str:
    if not shift or not text.strip():
        return text
    if shift > 0:
        return " " * shift + text
    lead = len(_lead(text))
    return text[min(lead, -shift):]
