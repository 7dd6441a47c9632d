"""Apply all hunks of one file to its text: locate, then splice, all or nothing."""
from __future__ import annotations

from . import excerpt
from .edits import Edit, EditError, hunk_edits
from .elisions import added_marker, split_at_markers
from .match import FileIndex, Placement, contiguous
from .datatypes import Hunk, HunkFailure
from .resolve import find, origin, pick, predictions, too_far
from .split import span
from .text import FileText


def patch_text(path: str, text: str, hunks: list[Hunk],
               failures: list[HunkFailure], notes: list[str]) -> str | None:
    """New text of `path`, or None after appending to `failures`.

    Hunks are placed on the original text. If that fails, they are tried one after
    another, for models whose later hunks quote lines an earlier hunk added."""
    hunks = split_at_markers(hunks, FileText.parse(text).lines, path, notes)
    mine_f: list[HunkFailure] = []
    mine_n: list[str] = []
    new = _patch_together(path, text, hunks, mine_f, mine_n)
    if new is None and len(hunks) > 1:
        seq_f: list[HunkFailure] = []
        seq_n: list[str] = []
        seq: str | None = text
        for h in hunks:
            seq = _patch_together(path, seq, [h], seq_f, seq_n) if seq is not None else None
        if seq is not None:
            notes.append(f"hunks of {path} applied one after another: a later hunk "
                         f"quotes lines an earlier one adds")
            return seq
    failures += mine_f
    notes += mine_n
    return new


def _patch_together(path: str, text: str, hunks: list[Hunk],
                    failures: list[HunkFailure], notes: list[str]) -> str | None:
    ft = FileText.parse(text)
    idx = FileIndex(ft.lines)
    founds = [find(h, idx) if h.old else None for h in hunks]
    chosen: list[Placement | None] = [
        f.cands[0] if f and len(f.cands) == 1 else None for f in founds]
    preds = predictions(hunks, chosen)
    edits: list[Edit] = []
    n_fail = len(failures)
    for k, (h, f) in enumerate(zip(hunks, founds)):
        fail = lambda msg: failures.append(HunkFailure(path, k + 1, msg))  # noqa: E731
        marker = added_marker(h.lines)
        if marker is not None:
            fail(f"the added line {marker.text.strip()!r} is an elision marker, not code; "
                 f"write out the lines it stands for, or leave them as unchanged context")
            continue
        if f is None:
            _insert_without_context(h, ft, k, edits, fail, notes, path)
            continue
        pl = _place(k, hunks, f, chosen, preds[k], idx, path, fail)
        if pl is None:
            continue
        chosen[k] = pl
        _note(notes, path, k, h, pl, f, preds[k])
        _add_edits(h, pl, idx, k, edits, notes, path, fail)
    if len(failures) > n_fail or not _no_overlap(edits, path, failures):
        return None
    return _splice(ft, edits, _final_newline(ft, hunks, chosen))


def _place(k, hunks, f, chosen, predicted, idx, path, fail) -> Placement | None:
    """Hunk k's placement, or None after saying why (with the places meant)."""
    h = hunks[k]
    pl = chosen[k] or pick(f, predicted)
    if pl is not None and too_far(k, pl, predicted, hunks, chosen):
        fail(excerpt.far(pl, predicted, idx, path))
        return None
    if pl is None:
        if f.elsewhere is not None:
            fail(excerpt.elsewhere(f.elsewhere, h.old, idx, path))
        elif f.cands:
            fail(excerpt.ambiguous(f.cands, h.old, idx, path))
        elif f.why:
            fail(excerpt.reason(f.why, f.spans, idx, path))
        else:
            fail(_already_applied(h, idx, path) or excerpt.no_match(h.old, idx, path))
        return None
    return pl


def _add_edits(h, pl, idx, k, edits, notes, path, fail) -> None:
    try:
        new_edits, shift = hunk_edits(h, pl, idx, k)
    except EditError as e:
        at = origin(pl) if e.line is None else e.line - 4
        fail(f"{e}; did you mean {excerpt.show(idx, path, at, at + 9)}")
        return
    edits += new_edits
    if shift:
        notes.append(f"hunk {k + 1} of {path}: added lines re-indented by {shift:+d} "
                     f"columns, like the hunk's context relative to the file")


def _already_applied(h: Hunk, idx: FileIndex, path: str) -> str | None:
    """A hunk whose new side is already in the file was most likely applied before."""
    if not any(ln.tag != " " for ln in h.lines) or not h.new:
        return None
    there = contiguous(h.new, idx, "whitespace")
    if not there:
        return None
    a = [x for x in there[0].align if x is not None]  # all of them: contiguous aligns every line
    return (f"the hunk's result is already present (applied before?); "
            f"{excerpt.show(idx, path, a[0], a[-1] + 1)}")


def _insert_without_context(h, ft, k, edits, fail, notes, path):
    """A hunk with no old lines can only go where its header says (or into an empty file)."""
    if not ft.lines:
        at = 0
    elif h.old_start is None:
        return fail("the hunk has no context or removed lines, so its place is unknown; "
                    "include a few unchanged lines around the addition")
    else:
        at = min(h.old_start, len(ft.lines))  # "-N,0" inserts after line N
        notes.append(f"hunk {k + 1} of {path} has no context; inserted after line {at} as stated")
    edits.append(Edit(at, at, [ln.text for ln in h.new], k))


def _note(notes, path, k, h, pl, f, pred):
    stated = f" (stated {h.old_start})" if h.old_start else ""
    where = origin(pl) + 1
    extra = ", nearest of several" if len(f.cands) > 1 else ""
    if pl.parts:
        at = ", ".join(str(span(part_pl)[0] + 1) for _, part_pl in pl.parts)
        notes.append(f"hunk {k + 1} of {path} matched in {len(pl.parts)} parts, at lines "
                     f"{at}{stated}{extra}: the lines between them were left out")
    elif f.level != "exact" or (h.old_start and where != h.old_start):
        how = {"exact": "exactly", "whitespace": "ignoring whitespace",
               "fuzzy": "with inexact context"}[f.level]
        notes.append(f"hunk {k + 1} of {path} matched {how} at line {where}{stated}{extra}")


def _no_overlap(edits: list[Edit], path: str, failures) -> bool:
    edits.sort(key=lambda e: (e.start, e.end, e.order))
    for a, b in zip(edits, edits[1:]):
        if b.start < a.end:
            failures.append(HunkFailure(path, b.order + 1, f"overlaps hunk {a.order + 1} "
                                        f"(both change line {b.start + 1})"))
            return False
    return True


def _final_newline(ft, hunks, chosen) -> bool:
    """Trailing-newline state: the file's own, unless a hunk touching EOF says otherwise."""
    state = ft.ends_with_newline
    for h, pl in zip(hunks, chosen):
        old_nonl = any(ln.no_newline for ln in h.old)
        new_nonl = any(ln.no_newline for ln in h.new)
        if not (old_nonl or new_nonl):
            continue
        last = [a for a in (pl.align if pl else []) if a is not None]
        if not h.old or (last and last[-1] == len(ft.lines) - 1):
            state = not new_nonl
    return state


def _splice(ft: FileText, edits: list[Edit], final_nl: bool) -> str:
    lines, eols, pos, eol = [], [], 0, ft.eol
    for e in edits:
        lines += ft.lines[pos:e.start]
        eols += ft.eols[pos:e.start]
        lines += e.new
        eols += [eol] * len(e.new)
        pos = max(pos, e.end)
    lines += ft.lines[pos:]
    eols += ft.eols[pos:]
    eols = [e or eol for e in eols]  # a former last line may now be followed by more
    if lines:
        eols[-1] = (eols[-1] or eol) if final_nl else ""
    return FileText(lines, eols).render()
