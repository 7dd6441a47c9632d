"""Habits seen in real model-written diffs (see README-edits.md for where each is reported):
nearby hunks written as one, with or without an elision marker; the right code under a
wrong file name; unchanged lines written as a `-`/`+` pair; trailing whitespace on added
lines; a truncated last line; the diff inside a markdown fence with prose around it.

Same signature as edits_slips: (file diffs, rng, instance) -> diff text or None."""
from __future__ import annotations

import posixpath
import re

from edits_gold import Hunk, render

MAX_GAP = 40  # file lines between two hunks a model still writes as one
MARKERS = ("...", "# ...", "# ... existing code ...", "# ... (unchanged)", "# rest of the code unchanged")


def _merge_nearby(fs, rng, marker: bool):
    """Each pair of consecutive hunks of a file at most MAX_GAP lines apart written as
    one hunk; the unchanged lines between them left out (or one marker line for them)."""
    merged = False
    for f in fs:
        out, i, hs = [], 0, f.hunks
        while i < len(hs):
            h = hs[i]
            if i + 1 < len(hs) and not h.body[-1].startswith("\\"):
                nxt = hs[i + 1]
                gap = nxt.old_start - (h.old_start + h.counts()[0])
                if 0 < gap <= MAX_GAP:
                    mid = [" " + _indent_of(nxt.body) + rng.choice(MARKERS)] if marker else []
                    out.append(Hunk(h.old_start, h.new_start, h.section, h.body + mid + nxt.body))
                    merged, i = True, i + 2
                    continue
            out.append(h)
            i += 1
        f.hunks = out
    return render(fs) if merged else None


def _indent_of(body: list[str]) -> str:
    first = next((ln[1:] for ln in body if ln[1:].strip()), "")
    return re.match(r"\s*", first).group()


def c_merged(fs, rng, inst):
    return _merge_nearby(fs, rng, marker=False)


def c_merged_marker(fs, rng, inst):
    return _merge_nearby(fs, rng, marker=True)


def c_merged_sloppy(fs, rng, inst):
    """Merged hunks as models write them with other slips: `@@ ... @@` headers, no git
    header or prefixes, and a context line dropped on each side of the seam."""
    for f in fs:
        for h in f.hunks:
            h.body = [ln.rstrip() if ln[:1] == " " else ln for ln in h.body]
    seams = []
    for f in fs:
        for h in f.hunks:
            seams.append((h, len(h.body)))
    if _merge_nearby(fs, rng, marker=rng.random() < 0.5) is None:
        return None
    for f in fs:
        for h in f.hunks:
            _drop_at_seam(h, seams, rng)
    return render(fs, git_header=False, prefixes=False, counts="none")


def c_merged_heavy(fs, rng, inst):
    """Merged hunks (marker or not) plus model_heavy's slips: jittered lines, an invented,
    a misremembered and a missing context line, whitespace drift, `@@` headers."""
    from edits_slips import c_heavy
    if _merge_nearby(fs, rng, marker=rng.random() < 0.5) is None:
        return None
    return c_heavy(fs, rng, inst)


def _drop_at_seam(h, seams, rng):
    """Drop the context line just before and just after where two hunks were joined."""
    for first, n in seams:
        if h.body[:n] == first.body and len(h.body) > n:
            b = h.body
            after = n + (1 if b[n][1:].strip() in MARKERS or not b[n][1:].strip() else 0)
            drop = [k for k in (n - 1, after) if 0 < k < len(b) - 1 and b[k][:1] == " "
                    and b[k - 1][:1] == " " and b[k + 1][:1] == " "]
            for k in sorted(drop, reverse=True):
                del b[k]
            return


def c_minus_plus(fs, rng, inst):
    """One unchanged line per hunk written as removed and added again: in place, or
    folded into the change block next to it (the model rewrites the block from there)."""
    for f in fs:
        for h in f.hunks:
            b = h.body
            ctx = [i for i, ln in enumerate(b) if ln[:1] == " " and ln[1:].strip()]
            if not ctx:
                continue
            i = rng.choice(ctx)
            j = i + 1
            while j < len(b) and b[j][:1] in "-+":
                j += 1
            if j > i + 1 and rng.random() < 0.6:
                block = b[i + 1:j]
                dels = [ln for ln in block if ln[:1] == "-"]
                adds = [ln for ln in block if ln[:1] == "+"]
                h.body = b[:i] + ["-" + b[i][1:], *dels, "+" + b[i][1:], *adds] + b[j:]
            else:
                h.body = b[:i] + ["-" + b[i][1:], "+" + b[i][1:]] + b[i + 1:]
    return render(fs)


def c_trailing_ws(fs, rng, inst):
    """Trailing whitespace the file does not have on added lines (an editor's indent on
    blank lines, stray spaces), and the file's own trailing whitespace dropped from context."""
    for f in fs:
        for h in f.hunks:
            body = []
            for ln in h.body:
                tag, text = ln[:1], ln[1:]
                if tag == "+" and not text.strip():
                    text = _indent_of(h.body) or "    "
                elif tag == "+" and rng.random() < 0.4:
                    text += rng.choice([" ", "  ", "\t"])
                elif tag == " ":
                    text = text.rstrip()
                body.append(tag + text)
            h.body = body
    return render(fs)


def c_partial_last(fs, rng, inst):
    """The last context line of each file's last hunk cut off mid-line, as when the
    model's output stops or it abbreviates the line it anchors on."""
    cut = False
    for f in fs:
        if not f.hunks:
            continue
        b = f.hunks[-1].body
        last = b[-1]
        if last[:1] == " " and len(last[1:].strip()) >= 6:
            text = last[1:]
            lead = len(text) - len(text.lstrip())
            k = lead + rng.randint(max(2, (len(text) - lead) * 2 // 5), (len(text) - lead) * 4 // 5)
            b[-1] = " " + text[:k]
            cut = True
    return render(fs) if cut else None


def c_one_side(fs, rng, inst):
    """All context on one side of each hunk left out (models quote just the line they
    anchor on): a hunk that only adds lines keeps its other side only."""
    for f in fs:
        for h in f.hunks:
            b = h.body
            lead = next((i for i, ln in enumerate(b) if ln[:1] != " "), len(b))
            trail = next((i for i, ln in enumerate(reversed(b)) if ln[:1] != " "), len(b))
            if rng.random() < 0.5 and lead:
                h.body = b[lead:]
                h.old_start, h.new_start = h.old_start + lead, h.new_start + lead
            elif trail and trail < len(b):
                h.body = b[:len(b) - trail]
    return render(fs)


def _misname(path: str, rng, exists) -> str | None:
    """A path a model might write for `path`: a directory dropped or added, a `src/`
    layout assumed, the name made plural or singular."""
    d, name = posixpath.split(path)
    stem, ext = posixpath.splitext(name)
    parts = d.split("/") if d else []
    options = []
    if len(parts) >= 2:
        options.append("/".join(parts[1:] + [name]))
        options.append("/".join(parts[:-2] + parts[-1:] + [name]))
    options.append("src/" + path)
    if len(stem) >= 4:
        options.append(posixpath.join(d, (stem[:-1] if stem.endswith("s") else stem + "s") + ext))
    options = [p for p in options if p != path and not exists(p)]
    return rng.choice(options) if options else None


def c_wrong_file(fs, rng, inst):
    """The right hunks under a file name that does not exist (one file of the patch)."""
    edited = [f for f in fs if f.old and f.new and f.old == f.new.replace("b/", "a/", 1)]
    if not edited:
        return None
    f = rng.choice(edited)
    wrong = _misname(f.path, rng, inst.exists)
    if wrong is None:
        return None
    right = f.path
    f.meta = [ln.replace("a/" + right, "a/" + wrong).replace("b/" + right, "b/" + wrong)
              for ln in f.meta]
    f.old, f.new = "a/" + wrong, "b/" + wrong
    return render(fs)


def c_unmarked_added(fs, rng, inst):
    """One added line per hunk written without its `+` (as context). It reads exactly
    like an invented context line (hallucinated_context), which appliers rightly skip:
    no tool can tell them apart, so this row is information, not in the totals."""
    hit = False
    for f in fs:
        for h in f.hunks:
            adds = [i for i, ln in enumerate(h.body) if ln[:1] == "+" and ln[1:].strip()]
            if adds:
                i = rng.choice(adds)
                h.body[i] = " " + h.body[i][1:]
                hit = True
    return render(fs) if hit else None


PROSE_BEFORE = ("Here is the patch that fixes the issue:\n\n```diff\n",
                "The problem is in the comparison below. Apply this diff:\n\n```diff\n")
PROSE_AFTER = ("```\n\nThis change makes the function handle the empty case.\n",
               "```\n")


def c_fenced(fs, rng, inst):
    """The diff inside a ```diff fence, with a sentence before and after it."""
    return rng.choice(PROSE_BEFORE) + render(fs) + rng.choice(PROSE_AFTER)
