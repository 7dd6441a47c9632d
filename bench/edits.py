#!/usr/bin/env python3
"""Benchmark: apply corrupted SWE-bench gold patches with dsfix, git apply and GNU patch.

Each gold patch is corrupted the ways models corrupt diffs (edits_slips: line numbers,
counts, context, whitespace, headers; edits_habits: merged hunks, elision markers, wrong
file names, `-`/`+` pairs, trailing whitespace, truncated lines, fences) or applied to
another version of its files (edits_drift: real drift, the repository's own history),
and the result compared with the gold-applied files. "exact": equal; "wrong": a tool
reported success (or left files modified) with another result; "refused" otherwise.

    .venv/bin/python bench/edits.py [--mirrors DIR ...] [--seeds 2] [--limit N] [--jobs 2]
        [--baseline REF] [--only a,b] [--dump DIR]

With --baseline (default: the branch point with main), tools/diff at that revision runs
beside this tree's as "dsfix@base" when they differ. See bench/README-edits.md.
"""
from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import edits_habits as hb  # noqa: E402
import edits_slips as sl  # noqa: E402
import edits_tools as tl  # noqa: E402
from edits_drift import Variant, drift_cases  # noqa: E402
from edits_gold import clone  # noqa: E402
from edits_repos import load_instance, mirrors, rows  # noqa: E402
from edits_sr import SR_CASES, run_sr  # noqa: E402
from edits_table import report  # noqa: E402

from dsfix.tools import diff as current  # noqa: E402  (the installed applier)

CORRUPTIONS = {
    "clean": sl.c_clean, "shifted_lines": sl.c_shift, "jittered_lines": sl.c_jitter,
    "wrong_counts": sl.c_counts, "no_counts": sl.c_nocounts, "abbrev_counts": sl.c_abbrev,
    "dropped_context": sl.c_drop_ctx, "added_context": sl.c_add_ctx,
    "altered_context": sl.c_alter_ctx, "whitespace_drift": sl.c_whitespace,
    "inner_context_dropped": sl.c_drop_inner, "hallucinated_context": sl.c_hallucinated,
    "reindented_hunk": sl.c_reindent, "no_headers_prefixes": sl.c_headers,
    "reordered_hunks": sl.c_reorder, "crlf_diff": sl.c_crlf_diff, "crlf_file": None,
    "model_mix": sl.c_model_mix, "model_heavy": sl.c_heavy,
    "merged_hunks": hb.c_merged, "merged_hunks_marker": hb.c_merged_marker,
    "merged_hunks_sloppy": hb.c_merged_sloppy, "merged_hunks_heavy": hb.c_merged_heavy, "context_one_side": hb.c_one_side,
    "wrong_file_name": hb.c_wrong_file, "minus_plus_pair": hb.c_minus_plus,
    "trailing_whitespace": hb.c_trailing_ws, "partial_last_line": hb.c_partial_last,
    "fenced_with_prose": hb.c_fenced,
    "drift_older": None, "drift_newer": None,  # edits_drift: the repository's own versions
    "altered_removed(refuse)": sl.c_altered_removed,
    "unmarked_added(ambiguous)": hb.c_unmarked_added,
}
ONE_SEED = {"clean", "crlf_file", "crlf_diff", "no_counts", "abbrev_counts",
            "no_headers_prefixes", "reordered_hunks", "merged_hunks"}


def variants(name, inst, seeds):
    """(seed, Variant) per case of corruption `name` on instance `inst`."""
    if name.startswith("drift_"):
        return list(enumerate(drift_cases(inst, newer=name == "drift_newer")))
    if name == "crlf_file":  # files with CRLF endings, the diff LF; new files get "\n"
        crlf = {k: v if v is None else v.replace("\n", "\r\n") for k, v in inst.src.items()}
        exp = {k: (v if k not in inst.src or v is None else v.replace("\n", "\r\n"))
               for k, v in inst.expected.items()}
        return [(0, Variant(sl.c_clean(clone(inst.files), None, inst), crlf, exp))]
    out = []
    for seed in range(1 if name in ONE_SEED else seeds):
        rng = random.Random(f"{inst.row['instance_id']}/{name}/{seed}")
        diff = CORRUPTIONS[name](clone(inst.files), rng, inst)
        if diff is not None:
            out.append((seed, Variant(diff, inst.src, inst.expected)))
    return out


_STATE: dict = {}


def _init(args):
    _STATE["args"] = args
    _STATE["base"] = tl.diff_package_at(args.baseline) if args.baseline else None
    _STATE["mirrors"] = mirrors(args.mirrors)


def tools_of(base) -> list[str]:
    return ["dsfix"] + (["dsfix@base"] if base else []) + ["git apply", "patch --fuzz=3"]


def run_instance(row):
    """(stats, note) for one instance; note says why it was skipped, or None."""
    args, base = _STATE["args"], _STATE["base"]
    gitdir = _STATE["mirrors"].get(row["repo"])
    if gitdir is None:
        return {}, row["repo"]
    inst = load_instance(row, gitdir, tl.apply_gold)
    if inst is None:
        return {}, "(base files unreadable or gold patch does not apply)"
    only = set(filter(None, args.only.split(",")))
    stats: dict = defaultdict(lambda: defaultdict(Counter))
    pkgs = {"dsfix": current, **({"dsfix@base": base} if base else {})}
    for name in CORRUPTIONS:
        if only and name not in only:
            continue
        for seed, v in variants(name, inst, args.seeds):
            for tool in tools_of(base):
                if tool in pkgs:
                    status, out, res = tl.run_dsfix(pkgs[tool], v.diff, v.src, inst)
                else:
                    status, out = tl.run_cli(tl.GIT if tool == "git apply" else tl.PATCH,
                                             v.diff, v.src, inst.paths)
                    res = None
                verdict = tl.classify(status, out, v.src, v.expected)
                stats[name][tool][verdict] += 1
                if tool == "dsfix" and verdict != "exact" and args.dump:
                    dump(args.dump, row, name, seed, verdict, v, res)
    for name, fn in SR_CASES.items():
        if only and name not in only:
            continue
        text = fn(clone(inst.files), random.Random(f"{row['instance_id']}/{name}"))
        if text is None:
            continue
        for tool, pkg in pkgs.items():
            status, out = run_sr(pkg, text, inst.src)
            stats[name][tool][tl.classify(status, out, inst.src, inst.expected)] += 1
    return {k: dict(v) for k, v in stats.items()}, None


def dump(folder, row, name, seed, verdict, v, res):
    d = Path(folder) / name
    d.mkdir(parents=True, exist_ok=True)
    why = res.feedback() if res is not None else "PatchError"
    (d / f"{row['instance_id']}.{seed}.{verdict}.txt").write_text(
        f"{verdict}\n{why}\n\n{v.diff}", "utf-8", "surrogateescape")


def branch_point() -> str:
    p = subprocess.run(["git", "-C", str(tl.ROOT), "merge-base", "HEAD", "main"],
                       capture_output=True, text=True)
    return p.stdout.strip()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirrors", nargs="*", default=[], help="extra dirs holding bare git mirrors")
    ap.add_argument("--seeds", type=int, default=2, help="random variants per corruption")
    ap.add_argument("--limit", type=int, default=0, help="at most N instances (0: all)")
    ap.add_argument("--only", default="", help="comma-separated corruption names")
    ap.add_argument("--jobs", type=int, default=1, help="instances run in parallel")
    ap.add_argument("--baseline", default=None,
                    help="git revision whose tools/diff runs beside (default: branch point "
                         "with main; '' for none)")
    ap.add_argument("--dump", default="", help="write dsfix's non-exact cases to this folder")
    args = ap.parse_args(argv)
    if args.baseline is None:
        args.baseline = branch_point()
    all_rows, t0 = rows(), time.time()
    mir = mirrors(args.mirrors)
    todo = [r for r in all_rows if r["repo"] in mir]
    skipped = Counter(r["repo"] for r in all_rows if r["repo"] not in mir)
    if args.limit:
        todo = todo[:args.limit]
    stats: dict = defaultdict(lambda: defaultdict(Counter))
    with ProcessPoolExecutor(max(1, args.jobs), initializer=_init, initargs=(args,)) as ex:
        for got, note in ex.map(run_instance, todo):
            if note:
                skipped[note] += 1
            for name, per in got.items():
                for tool, c in per.items():
                    stats[name][tool] += c
    _init(args)
    used = len(todo) - sum(v for k, v in skipped.items() if k.startswith("("))
    order = [*CORRUPTIONS, *SR_CASES]
    stats = {k: stats[k] for k in order if k in stats}
    base = f"; dsfix@base = tools/diff at {args.baseline[:12]}" if _STATE["base"] else ""
    head = (f"instances used: {used}; skipped: {sum(skipped.values())} "
            f"({', '.join(f'{k}: {v}' for k, v in sorted(skipped.items()))}); "
            f"{time.time() - t0:.0f}s{base}")
    print(report(stats, tools_of(_STATE["base"]), head))
    return 0


if __name__ == "__main__":
    sys.exit(main())
