"""Turn a placed hunk into line edits on the original file."""
from __future__ import annotations

from dataclasses import dataclass, field

from .match import FileIndex, Placement
from .model import Hunk, Line


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


def hunk_edits(hunk: Hunk, pl: Placement, idx: FileIndex, order: int) -> tuple[list[Edit], int]:
    """Edits for each run of changed lines, and the columns added lines were moved
    by (non-zero when the whole hunk was consistently shifted from the file). A hunk
    placed in parts gets each part's edits."""
    if pl.parts:
        edits, shift = [], 0
        for part, part_pl in pl.parts:
            more, s = hunk_edits(part, part_pl, idx, order)
            edits, shift = edits + more, shift or s
        return edits, shift
    shift = indent_shift(hunk.old, pl, idx.lines)
    strip = not idx.trailing_ws
    edits, oi, block, before = [], 0, [], None
    for ln in hunk.lines + [Line(" ", "")]:  # sentinel flushes the last block
        if ln.tag != " ":
            block.append((ln, oi if ln.tag == "-" else None))
            oi += ln.tag == "-"
            continue
        if block:
            after = oi if oi < len(pl.align) else None
            edits.append(_block_edit(block, before, after, pl, shift, order, idx.norms, strip))
            block = []
        before, oi = oi, oi + 1
    return edits, shift


def _block_edit(block, before, after, pl, shift, order, norms, strip) -> Edit:
    dels = [pl.align[i] for _, i in block if i is not None]
    # a file without trailing whitespace gets none from a model's indented blank lines
    new = [_reindent(ln.text.rstrip() if strip else ln.text, shift)
           for ln, _ in block if ln.tag == "+"]
    p = _nearest(pl.align, before, -1)
    q = _nearest(pl.align, after, +1)
    if dels:
        if dels != list(range(dels[0], dels[0] + len(dels))):
            raise EditError(f"the removed lines are not one run of lines in the file "
                            f"(lines {dels[0] + 1}-{dels[-1] + 1})", dels[0])
        # added lines before/after the removed ones go next to the context; if
        # context is missing there, they could belong on either side of the gap
        if block[0][0].tag == "+" and p is not None and not _slides(norms, p, dels[0], p):
            raise EditError(f"context is missing between line {p + 1} and the removed "
                            f"line {dels[0] + 1}, so the added lines could go on either side",
                            p)
        if block[-1][0].tag == "+" and q is not None and not _slides(norms, dels[-1], q, q):
            raise EditError(f"context is missing between the removed line {dels[-1] + 1} "
                            f"and line {q + 1}, so the added lines could go on either side",
                            q)
        return Edit(dels[0], dels[-1] + 1, new, order)
    if p is None and q is None:
        raise EditError("no context line next to the added text matches the file", None)
    if p is None or q is None:
        _check_anchor(pl.align, before if q is None else after, -1 if q is None else +1)
    if p is not None and q is not None and q != p + 1:
        if _slides(norms, p, q, p):      # "b b | Y": the hunk's b was the last one
            p = q - 1
        elif not _slides(norms, p, q, q):
            raise EditError(f"the lines around the added text are not adjacent in the file "
                            f"(lines {p + 1} and {q + 1}); context is missing between them", p)
    at = p + 1 if p is not None else q
    return Edit(at, at, new, order)


def _check_anchor(align: list[int | None], i: int | None, step: int) -> None:
    """Added lines with context found on one side only go next to that context. If two
    or more lines written between them and it are not in the file there, the hunk's
    picture of the place is wrong (two places written as one, say): refuse."""
    run = 0
    while i is not None and 0 <= i < len(align) and align[i] is None:
        run, i = run + 1, i + step
    if run >= 2:
        raise EditError(f"{run} context lines between the added text and the context it "
                        f"would go next to are not in the file there", align[i])


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
