"""The first corruptions: slips in line numbers, counts, headers, context and whitespace.

Each takes (file diffs, rng, instance), may edit the file diffs, and returns the diff
text (or None when the instance has nothing to corrupt that way)."""
from __future__ import annotations

import re

from edits_gold import render


def c_clean(fs, rng, inst):
    return render(fs)


def c_shift(fs, rng, inst):
    for f in fs:
        d = rng.choice([-1, 1]) * rng.randint(3, 40)
        for h in f.hunks:
            h.old_start, h.new_start = max(1, h.old_start + d), max(1, h.new_start + d)
    return render(fs)


def c_jitter(fs, rng, inst):
    for f in fs:
        for h in f.hunks:
            d = rng.randint(-60, 60)
            h.old_start, h.new_start = max(1, h.old_start + d), max(1, h.new_start + d)
    return render(fs)


def c_counts(fs, rng, inst):
    for f in fs:
        for h in f.hunks:
            h.dco, h.dcn = rng.choice([-2, -1, 1, 2, 3]), rng.choice([-2, -1, 1, 2, 3])
    return render(fs, counts="wrong")


def c_nocounts(fs, rng, inst):
    return render(fs, counts="none")


def c_abbrev(fs, rng, inst):
    """`@@ -N +M @@`: git's short form for one-line ranges, written for every hunk."""
    return render(fs, counts="abbrev")


def _ctx_edges(body):
    lead = next((i for i, ln in enumerate(body) if ln[:1] != " "), len(body))
    trail = next((i for i, ln in enumerate(reversed(body)) if ln[:1] != " "), len(body))
    return lead, trail


def c_drop_ctx(fs, rng, inst):
    for f in fs:
        for h in f.hunks:
            lead, trail = _ctx_edges(h.body)
            k = rng.randint(1, 2)
            if rng.random() < 0.5 and lead:
                k = min(k, lead)
                h.body = h.body[k:]
                h.old_start += k
                h.new_start += k
            elif trail:
                h.body = h.body[:len(h.body) - min(k, trail)]
    return render(fs)


def c_add_ctx(fs, rng, inst):
    for f in fs:
        lines = (inst.src.get(f.path) or "").split("\n") if f.path else []
        for h in f.hunks:
            o, _ = h.counts()
            before, after = h.old_start - 2, h.old_start - 1 + o
            if rng.random() < 0.5 and 0 <= before < len(lines) and h.old_start > 1:
                h.body.insert(0, " " + lines[before])
                h.old_start, h.new_start = h.old_start - 1, h.new_start - 1
            elif 0 <= after < len(lines) - 1 and not h.body[-1].startswith("\\"):
                h.body.append(" " + lines[after])
    return render(fs)


def alter(text, rng):
    """A misremembered line: a typo, a renamed word or a dropped word."""
    words = list(re.finditer(r"[A-Za-z_]{3,}", text))
    if not words:
        return text + "  # note"
    w = rng.choice(words)
    kind = rng.randrange(3)
    if kind == 0:   # typo
        s = w.group()
        i = rng.randrange(len(s))
        new = s[:i] + s[i + 1:]
    elif kind == 1:  # misremembered name
        new = w.group() + "s"
    else:            # dropped word
        new = ""
    return text[:w.start()] + new + text[w.end():]


def c_alter_ctx(fs, rng, inst):
    for f in fs:
        for h in f.hunks:
            ctx = [i for i, ln in enumerate(h.body) if ln[:1] == " " and ln.strip()]
            if ctx:
                i = rng.choice(ctx)
                h.body[i] = " " + alter(h.body[i][1:], rng)
    return render(fs)


def c_whitespace(fs, rng, inst):
    for f in fs:
        for h in f.hunks:
            body = []
            for ln in h.body:
                tag, text = ln[:1], ln[1:]
                if tag == " " and not text.strip():
                    body.append("")            # blank context without its space
                    continue
                if tag in " -" and rng.random() < 0.3:
                    text = rng.choice([text.rstrip() + "  ", " " + text, text[1:] if text.startswith("  ") else text])
                body.append(tag + text.rstrip() if tag != "\\" else ln)
            h.body = body
    return render(fs)


def c_drop_inner(fs, rng, inst):
    """A context line missing from inside a hunk (models skip lines). Only lines with
    context on both sides: dropping one that separates two changes yields another
    valid diff with a different meaning, which no applier can undo."""
    for f in fs:
        for h in f.hunks:
            b = h.body
            pool = [i for i in range(1, len(b) - 1)
                    if b[i][:1] == " " and b[i - 1][:1] == " " and b[i + 1][:1] == " "]
            if pool:
                del b[rng.choice(pool)]
    return render(fs)


def c_hallucinated(fs, rng, inst):
    """An invented context line (a plausible comment or a near-copy of a neighbour)."""
    for f in fs:
        for h in f.hunks:
            ctx = [i for i, ln in enumerate(h.body) if ln[:1] == " "]
            if not ctx:
                continue
            i = rng.choice(ctx)
            indent = re.match(r"\s*", h.body[i][1:]).group()
            fake = rng.choice([indent + "# handle the general case", alter(h.body[i][1:], rng)])
            h.body.insert(i + rng.randint(0, 1), " " + fake)
    return render(fs)


def c_reindent(fs, rng, inst):
    """The whole hunk dedented by 4 columns where possible (models flatten code)."""
    for f in fs:
        for h in f.hunks:
            if all(ln[1:5] == "    " or not ln[1:].strip() for ln in h.body if ln[:1] != "\\"):
                h.body = [ln[0] + ln[5:] if ln[1:].strip() else ln for ln in h.body]
    return render(fs)


def c_headers(fs, rng, inst):
    return render(fs, git_header=False, prefixes=False)


def c_reorder(fs, rng, inst):
    for f in fs:
        f.hunks.reverse()
    fs.reverse()
    return render(fs)


def c_crlf_diff(fs, rng, inst):
    return render(fs).replace("\n", "\r\n")


def c_model_mix(fs, rng, inst):
    c_shift(fs, rng, inst)
    for f in fs:
        for h in f.hunks:
            h.body = [ln.rstrip() if ln[:1] != "+" else ln for ln in h.body]
            if h.body and h.body[-1] == "":
                h.body.pop()
    return render(fs, git_header=False, prefixes=False, counts="none")


def c_heavy(fs, rng, inst):
    """Several slips at once: line numbers, headers, counts, whitespace, context."""
    c_jitter(fs, rng, inst)
    c_hallucinated(fs, rng, inst)
    c_alter_ctx(fs, rng, inst)
    c_drop_inner(fs, rng, inst)
    c_whitespace(fs, rng, inst)
    return render(fs, git_header=False, prefixes=False, counts="none")


def c_altered_removed(fs, rng, inst):
    """A removed line misremembered: every tool should refuse (exact is impossible)."""
    for f in fs:
        dels = [(h, i) for h in f.hunks for i, ln in enumerate(h.body)
                if ln[:1] == "-" and re.search(r"[A-Za-z_]{3,}", ln)]
        if dels:
            h, i = rng.choice(dels)
            h.body[i] = "-" + alter(h.body[i][1:], rng)
    if not any(ln[:1] == "-" for f in fs for h in f.hunks for ln in h.body):
        return None  # nothing removed, nothing to misremember: not a case
    return render(fs)
