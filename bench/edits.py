#!/usr/bin/env python3
"""Benchmark: apply corrupted SWE-bench gold patches with dsfix, git apply and GNU patch.

Each gold patch is corrupted the ways models corrupt diffs (shifted line numbers,
wrong counts, dropped/added/altered context, whitespace drift, stripped headers,
reordered hunks, CRLF) and applied to the files at base_commit. A result is
"exact" when it equals the gold-applied files, "wrong" when a tool reports success
(or leaves files modified) with a different result, "refused" otherwise.

    .venv/bin/python bench/edits.py [--mirrors DIR ...] [--seeds 2] [--limit N]

Repositories come from bare git mirrors (default: auto-discovered under
/work/.mirror/OWNER+NAME/repo); instances whose repository is absent are skipped.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from dsfix.tools.diff import PatchError, apply_diff, apply_search_replace  # noqa: E402

DATA = Path("/work/shared/data/swebench-lite")
TOOLS = ("dsfix", "git apply", "patch --fuzz=3")


# ---------------------------------------------------------------- gold patches
@dataclass
class Hunk:
    old_start: int
    new_start: int
    section: str
    body: list[str]  # lines with their ' ', '-', '+', '\' prefix

    def counts(self) -> tuple[int, int]:
        old = sum(ln[:1] in " -" for ln in self.body)
        new = sum(ln[:1] in " +" for ln in self.body)
        return old, new


@dataclass
class FileDiff:
    meta: list[str]          # diff --git, mode, rename lines
    old: str | None          # with a/ prefix or None
    new: str | None
    hunks: list[Hunk] = field(default_factory=list)


def parse_gold(patch: str) -> list[FileDiff]:
    files: list[FileDiff] = []
    lines = patch.split("\n")
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("diff --git"):
            files.append(FileDiff([ln], None, None))
        elif ln.startswith("--- ") and lines[i + 1].startswith("+++ "):
            files[-1].old = None if ln[4:] == "/dev/null" else ln[4:]
            files[-1].new = None if lines[i + 1][4:] == "/dev/null" else lines[i + 1][4:]
            i += 1
        elif ln.startswith("@@"):
            m = re.match(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)", ln)
            files[-1].hunks.append(Hunk(int(m.group(1)), int(m.group(2)), m.group(3), []))
        elif files and files[-1].hunks and ln[:1] in (" ", "-", "+", "\\"):
            files[-1].hunks[-1].body.append(ln)
        elif files and not files[-1].hunks and ln:
            files[-1].meta.append(ln)
        i += 1
    return files


def render(files: list[FileDiff], *, git_header=True, prefixes=True, counts="ok") -> str:
    out = []
    for f in files:
        if git_header:
            out += f.meta
        strip = (lambda p: p) if prefixes else (lambda p: p[2:] if p and p[:2] in ("a/", "b/") else p)
        out.append("--- " + (strip(f.old) if f.old else "/dev/null"))
        out.append("+++ " + (strip(f.new) if f.new else "/dev/null"))
        for h in f.hunks:
            o, n = h.counts()
            if counts == "none":
                out.append("@@ ... @@" if len(out) % 2 else "@@")
            else:
                if counts == "wrong":
                    o, n = o + h.__dict__.get("dco", 0), n + h.__dict__.get("dcn", 0)
                out.append(f"@@ -{h.old_start},{o} +{h.new_start},{n} @@{h.section}")
            out += h.body
    return "\n".join(out) + "\n"


def clone(files: list[FileDiff]) -> list[FileDiff]:
    return [replace(f, meta=list(f.meta), hunks=[replace(h, body=list(h.body)) for h in f.hunks])
            for f in files]


# ---------------------------------------------------------------- corruptions
def c_clean(fs, rng, src):
    return render(fs)


def c_shift(fs, rng, src):
    for f in fs:
        d = rng.choice([-1, 1]) * rng.randint(3, 40)
        for h in f.hunks:
            h.old_start, h.new_start = max(1, h.old_start + d), max(1, h.new_start + d)
    return render(fs)


def c_jitter(fs, rng, src):
    for f in fs:
        for h in f.hunks:
            d = rng.randint(-60, 60)
            h.old_start, h.new_start = max(1, h.old_start + d), max(1, h.new_start + d)
    return render(fs)


def c_counts(fs, rng, src):
    for f in fs:
        for h in f.hunks:
            h.dco, h.dcn = rng.choice([-2, -1, 1, 2, 3]), rng.choice([-2, -1, 1, 2, 3])
    return render(fs, counts="wrong")


def c_nocounts(fs, rng, src):
    return render(fs, counts="none")


def _ctx_edges(body):
    lead = next((i for i, ln in enumerate(body) if ln[:1] != " "), len(body))
    trail = next((i for i, ln in enumerate(reversed(body)) if ln[:1] != " "), len(body))
    return lead, trail


def c_drop_ctx(fs, rng, src):
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


def c_add_ctx(fs, rng, src):
    for f in fs:
        lines = (src.get(f.old[2:]) or "").split("\n") if f.old else []
        for h in f.hunks:
            o, _ = h.counts()
            before, after = h.old_start - 2, h.old_start - 1 + o
            if rng.random() < 0.5 and 0 <= before < len(lines) and h.old_start > 1:
                h.body.insert(0, " " + lines[before])
                h.old_start, h.new_start = h.old_start - 1, h.new_start - 1
            elif 0 <= after < len(lines) - 1 and not h.body[-1].startswith("\\"):
                h.body.append(" " + lines[after])
    return render(fs)


def _alter(text, rng):
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


def c_alter_ctx(fs, rng, src):
    for f in fs:
        for h in f.hunks:
            ctx = [i for i, ln in enumerate(h.body) if ln[:1] == " " and ln.strip()]
            if ctx:
                i = rng.choice(ctx)
                h.body[i] = " " + _alter(h.body[i][1:], rng)
    return render(fs)


def c_whitespace(fs, rng, src):
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


def c_drop_inner(fs, rng, src):
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


def c_hallucinated(fs, rng, src):
    """An invented context line (a plausible comment or a near-copy of a neighbour)."""
    for f in fs:
        for h in f.hunks:
            ctx = [i for i, ln in enumerate(h.body) if ln[:1] == " "]
            if not ctx:
                continue
            i = rng.choice(ctx)
            indent = re.match(r"\s*", h.body[i][1:]).group()
            fake = rng.choice([indent + "# handle the general case", _alter(h.body[i][1:], rng)])
            h.body.insert(i + rng.randint(0, 1), " " + fake)
    return render(fs)


def c_reindent(fs, rng, src):
    """The whole hunk dedented by 4 columns where possible (models flatten code)."""
    for f in fs:
        for h in f.hunks:
            if all(ln[1:5] == "    " or not ln[1:].strip() for ln in h.body if ln[:1] != "\\"):
                h.body = [ln[0] + ln[5:] if ln[1:].strip() else ln for ln in h.body]
    return render(fs)


def c_headers(fs, rng, src):
    return render(fs, git_header=False, prefixes=False)


def c_reorder(fs, rng, src):
    for f in fs:
        f.hunks.reverse()
    fs.reverse()
    return render(fs)


def c_crlf_diff(fs, rng, src):
    return render(fs).replace("\n", "\r\n")


def c_model_mix(fs, rng, src):
    c_shift(fs, rng, src)
    for f in fs:
        for h in f.hunks:
            h.body = [ln.rstrip() if ln[:1] != "+" else ln for ln in h.body]
            if h.body and h.body[-1] == "":
                h.body.pop()
    return render(fs, git_header=False, prefixes=False, counts="none")


def c_heavy(fs, rng, src):
    """Several slips at once: line numbers, headers, counts, whitespace, context."""
    c_jitter(fs, rng, src)
    c_hallucinated(fs, rng, src)
    c_alter_ctx(fs, rng, src)
    c_drop_inner(fs, rng, src)
    c_whitespace(fs, rng, src)
    return render(fs, git_header=False, prefixes=False, counts="none")


def c_altered_removed(fs, rng, src):
    """A removed line misremembered: every tool should refuse (exact is impossible)."""
    for f in fs:
        dels = [(h, i) for h in f.hunks for i, ln in enumerate(h.body)
                if ln[:1] == "-" and re.search(r"[A-Za-z_]{3,}", ln)]
        if dels:
            h, i = rng.choice(dels)
            h.body[i] = "-" + _alter(h.body[i][1:], rng)
    if not any(ln[:1] == "-" for f in fs for h in f.hunks for ln in h.body):
        return None  # nothing removed, nothing to misremember: not a case
    return render(fs)


CORRUPTIONS = {
    "clean": c_clean, "shifted_lines": c_shift, "jittered_lines": c_jitter,
    "wrong_counts": c_counts, "no_counts": c_nocounts, "dropped_context": c_drop_ctx,
    "added_context": c_add_ctx, "altered_context": c_alter_ctx, "whitespace_drift": c_whitespace,
    "inner_context_dropped": c_drop_inner, "hallucinated_context": c_hallucinated,
    "reindented_hunk": c_reindent, "no_headers_prefixes": c_headers, "reordered_hunks": c_reorder, "crlf_diff": c_crlf_diff,
    "crlf_file": c_clean, "model_mix": c_model_mix, "model_heavy": c_heavy,
    "altered_removed(refuse)": c_altered_removed,
}


# ---------------------------------------------------------------- search/replace
def render_sr(fs: list[FileDiff], edit=lambda text, rng: text, rng=None) -> str | None:
    """Each gold hunk as an Aider SEARCH/REPLACE block (SEARCH = its old side)."""
    out = []
    for f in fs:
        if not f.old or not f.new or f.old[2:] != f.new[2:]:
            return None  # creations, deletions, renames: not this format's job
        for h in f.hunks:
            old = [ln[1:] for ln in h.body if ln[:1] in " -"]
            new = [ln[1:] for ln in h.body if ln[:1] in " +"]
            old = [edit(t, rng) if rng and rng.random() < 0.3 else t for t in old]
            out += [f.old[2:], "```python", "<<<<<<< SEARCH", *old, "=======", *new,
                    ">>>>>>> REPLACE", "```", ""]
    return "\n".join(out)


def _drift(text, rng):
    return rng.choice([text.rstrip() + "  ", " " + text, text.strip(), text.replace("    ", "  ")])


SR_CASES = {
    "sr_clean": lambda fs, rng: render_sr(fs),
    "sr_whitespace_drift": lambda fs, rng: render_sr(fs, _drift, rng),
}


# ---------------------------------------------------------------- tools
def run_dsfix(diff, src):
    try:
        r = apply_diff(diff, src.get)
    except PatchError:
        return "refused", dict(src)
    if not r.ok:
        return "refused", dict(src)
    out = dict(src)
    out.update(r.changes)
    return "applied", out


def run_cli(cmd, diff, src, paths):
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        for p, t in src.items():
            if t is not None:
                (root / p).parent.mkdir(parents=True, exist_ok=True)
                (root / p).write_bytes(t.encode("utf-8", "surrogateescape"))
        (root / ".patch").write_bytes(diff.encode("utf-8", "surrogateescape"))
        try:
            rc = subprocess.run(cmd + [str(root / ".patch")], cwd=root, capture_output=True,
                                timeout=30, stdin=subprocess.DEVNULL).returncode
        except subprocess.TimeoutExpired:
            rc = 124
        out = {}
        for p in paths:
            f = root / p
            out[p] = f.read_bytes().decode("utf-8", "surrogateescape") if f.is_file() else None
    return ("applied" if rc == 0 else "refused"), out


GIT = ["git", "apply", "-p1", "--whitespace=nowarn"]
PATCH = ["patch", "-p1", "--fuzz=3", "--batch", "--forward", "--no-backup-if-mismatch",
         "-r", "/dev/null", "-s", "-i"]


def classify(status, out, src, expected):
    keys = set(src) | set(expected) | set(out)
    same = all(out.get(k) == expected.get(k) for k in keys)
    if same and status == "applied":
        return "exact"
    touched = any(out.get(k) != src.get(k) for k in keys)
    return "wrong" if status == "applied" or touched else "refused"


# ---------------------------------------------------------------- driver
def mirrors(extra: list[str]) -> dict[str, Path]:
    found = {}
    for base in [Path("/work/.mirror")] + [Path(m) for m in extra]:
        for g in list(base.glob("*/repo")) + list(base.glob("*+*")) + [base]:
            if (g / "HEAD").exists() and (g / "objects").exists():
                name = (g.parent.name if g.name == "repo" else g.name).replace("+", "/", 1)
                found.setdefault(name, g)
    return found


def git_show(gitdir: Path, commit: str, path: str) -> str | None:
    p = subprocess.run(["git", "--git-dir", str(gitdir), "show", f"{commit}:{path}"],
                       capture_output=True)
    return p.stdout.decode("utf-8", "surrogateescape") if p.returncode == 0 else None


def load_instance(row, gitdir):
    files = parse_gold(row["patch"])
    src = {}
    for f in files:
        if f.old:
            text = git_show(gitdir, row["base_commit"], f.old[2:])
            if text is None:
                return None
            src[f.old[2:]] = text
    paths = {p[2:] for f in files for p in (f.old, f.new) if p}
    status, expected = run_cli(GIT, row["patch"], src, paths)
    if status != "applied":
        return None
    return files, src, expected, paths


def crlf(d):
    return {k: (None if v is None else v.replace("\n", "\r\n")) for k, v in d.items()}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirrors", nargs="*", default=[], help="extra dirs holding bare git mirrors")
    ap.add_argument("--seeds", type=int, default=2, help="random variants per corruption")
    ap.add_argument("--limit", type=int, default=0, help="at most N instances (0: all)")
    ap.add_argument("--only", default="", help="comma-separated corruption names")
    ap.add_argument("--show-failures", action="store_true", help="print dsfix non-exact cases")
    args = ap.parse_args(argv)
    rows = [json.loads(ln) for f in ("test-tune.jsonl", "dev.jsonl") for ln in open(DATA / f)]
    mir = mirrors(args.mirrors)
    skipped = defaultdict(int)
    stats = {c: {t: defaultdict(int) for t in TOOLS} for c in [*CORRUPTIONS, *SR_CASES]}
    only = set(filter(None, args.only.split(",")))
    used, t0 = 0, time.time()
    for row in rows:
        if args.limit and used >= args.limit:
            break
        if row["repo"] not in mir:
            skipped[row["repo"]] += 1
            continue
        inst = load_instance(row, mir[row["repo"]])
        if inst is None:
            skipped["(base files unreadable or gold patch does not apply)"] += 1
            continue
        used += 1
        run_instance(row, inst, stats, args, only)
        run_sr(row, inst, stats, only)
    report(stats, used, skipped, time.time() - t0)
    return 0


def run_sr(row, inst, stats, only):
    files, src, exp, paths = inst
    for name, fn in SR_CASES.items():
        if only and name not in only:
            continue
        text = fn(clone(files), random.Random(f"{row['instance_id']}/{name}"))
        if text is None:
            continue
        try:
            r = apply_search_replace(text, src.get)
            status, out = ("applied", {**src, **r.changes}) if r.ok else ("refused", dict(src))
        except PatchError:
            status, out = "refused", dict(src)
        stats[name]["dsfix"][classify(status, out, src, exp)] += 1


def run_instance(row, inst, stats, args, only):
    files, src0, exp0, paths = inst
    for name, fn in CORRUPTIONS.items():
        if only and name not in only:
            continue
        for seed in range(1 if name in ("clean", "crlf_file", "crlf_diff", "no_counts",
                                        "no_headers_prefixes", "reordered_hunks") else args.seeds):
            rng = random.Random(f"{row['instance_id']}/{name}/{seed}")
            src, exp = (crlf(src0), crlf(exp0)) if name == "crlf_file" else (src0, exp0)
            if name == "crlf_file":  # new files are created with "\n" endings
                exp = {k: (exp0[k] if k not in src0 else v) for k, v in exp.items()}
            diff = fn(clone(files), rng, src)
            if diff is None:
                continue
            for tool in TOOLS:
                if tool == "dsfix":
                    status, out = run_dsfix(diff, src)
                else:
                    status, out = run_cli(GIT if tool == "git apply" else PATCH, diff, src, paths)
                verdict = classify(status, out, src, exp)
                stats[name][tool][verdict] += 1
                if tool == "dsfix" and verdict != "exact" and args.show_failures:
                    print(f"--- {verdict}: {row['instance_id']} {name} seed {seed}", file=sys.stderr)


def report(stats, used, skipped, secs):
    print(f"instances used: {used}; skipped: {sum(skipped.values())} "
          f"({', '.join(f'{k}: {v}' for k, v in sorted(skipped.items()))}); {secs:.0f}s")
    head = f"{'corruption':<22}{'cases':>6}" + "".join(f" | {t:^22}" for t in TOOLS)
    print(head)
    print(f"{'':<28}" + " | exact   wrong refused" * len(TOOLS))
    total = {t: defaultdict(int) for t in TOOLS}
    corrupted = {t: defaultdict(int) for t in TOOLS}
    for name, per in stats.items():
        n = sum(per["dsfix"].values())
        if not n or name in SR_CASES:
            continue
        print(_row(name, n, per))
        for t in TOOLS:
            for k, v in per[t].items():
                if "(refuse)" in name:
                    continue
                total[t][k] += v
                if name != "clean":
                    corrupted[t][k] += v
    for label, agg in (("ALL corrupted", corrupted), ("ALL (with clean)", total)):
        n = sum(agg["dsfix"].values())
        if n:
            print(_row(label, n, agg))
    for name in SR_CASES:  # git apply / patch cannot read this format
        n = sum(stats[name]["dsfix"].values())
        if n:
            dsfix_only = _row(name, n, stats[name]).split(" | ")[:2]
            print(" | ".join(dsfix_only) + " | (SEARCH/REPLACE blocks: dsfix only)")


def _row(name, n, per):
    cells = []
    for t in TOOLS:
        c = per[t]
        cells.append(" | " + " ".join(f"{100 * c[k] / n:6.1f}%"[-7:] for k in ("exact", "wrong", "refused")))
    return f"{name:<22}{n:>6}" + "".join(cells)


if __name__ == "__main__":
    sys.exit(main())
