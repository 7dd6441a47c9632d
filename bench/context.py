"""Does the first fix prompt show the lines the gold patch changes? Three builders on SWE-bench Lite
tune + dev, in the same run: `one-window` (one window per file, centred on its first ranked symbol,
3 files, over today's ranking), `today` (the windowed views over today's ranking: the evidence
steps before the behaviour sites, tools/localize/sites.py; no lead line above places, no sibling places)
and `new` (both). Not run in CI.

    .venv/bin/python bench/context.py [--repos sympy,flask] [--limit N] [--budget TOKENS] [--out F]
    .venv/bin/python bench/context.py --merge F [F ...]          # one table over several runs

Checkouts as in bench/localize.py: `fetch` mirrors (/work/.mirror/owner+name/repo) cloned into a
scratch dir at base_commit; instances whose mirror is absent are skipped and counted. Per instance:

* changed lines: the lines the gold patch removes, or for a pure addition the line it follows,
  placed by content with dsfix's applier (a few gold patches' line numbers are off);
* shown: all / some / none of those lines are inside the first prompt's windows;
* prompt tokens: the loop's first call (system + reproduce step with the task), characters / 4;
* file hit@1/5 of the ranking both builders share;
* index time: cold (empty cache) in one checkout, then cached in a second checkout of the same
  commit (the cache is keyed by content, so it is a hit there).
"""
from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from localize import DATA, checkout, gold, hits, load_instances  # bench/localize.py

BUILDERS = ("one-window", "today", "new")
TODAY_STEPS = 3   # evidence.STEPS[:3]: the ranking before literal sites and option/config names


# -- the builder replaced (agent/context.py before the windows), kept here as the baseline --------

BASE_MAX_FILES = 3


def _base_window(lines: list[str], focus: list[tuple[int, int]], budget_chars: int) -> tuple[int, int]:
    """The whole file if it fits, else the focus ranges (all if they fit together, else the first)
    grown evenly up and down."""
    n = len(lines)
    cost = [len(s) + 6 for s in lines]
    if sum(cost) <= budget_chars or n == 0:
        return 1, n
    spans = sorted((max(1, a), min(n, b)) for a, b in focus if a <= n) or [((n + 1) // 2, (n + 1) // 2)]
    a, b = spans[0][0], max(e for _, e in spans)
    if sum(cost[a - 1:b]) > budget_chars:
        a, b = spans[0]
    used = sum(cost[a - 1:b])
    while b > a and used > budget_chars:
        used -= cost[b - 1]
        b -= 1
    grown = True
    while grown:
        grown = False
        if a > 1 and used + cost[a - 2] <= budget_chars:
            a, used, grown = a - 1, used + cost[a - 2], True
        if b < n and used + cost[b] <= budget_chars:
            b, used, grown = b + 1, used + cost[b], True
    return a, b


def baseline_views(root: Path, loc, rmap: str, budget_tokens: int) -> list:
    from dsfix.agent.context import CHARS_PER_TOKEN
    from dsfix.agent.windows import FileView
    views, left = [], budget_tokens * CHARS_PER_TOKEN - len(rmap)
    for rel in loc.files[:BASE_MAX_FILES]:
        try:
            lines = (root / rel).read_text(errors="replace").splitlines()
        except OSError:
            continue
        focus = [(s.start, s.end) for s in loc.symbols if s.file == rel][:1]
        a, b = _base_window(lines, focus, left // max(BASE_MAX_FILES - len(views), 1))
        width = len(str(a + len(lines[a - 1:b])))
        numbered = "\n".join(f"{i:>{width}} {t}" for i, t in enumerate(lines[a - 1:b], a))
        views.append(FileView(rel, numbered, [(a, b)] if b >= a else [], len(lines)))
        left -= len(numbered)
    return views


# -- measuring ------------------------------------------------------------------------------------

def changed_lines(patch: str, work: Path) -> dict[str, set[int]]:
    """Per file, the lines removed, or for a pure addition the line it follows, with the patch
    placed by content (its own line numbers when it does not apply)."""
    from dsfix.tools.diff import PatchError, apply_diff

    def read(p: str) -> str | None:
        try:
            return (work / p).read_text()
        except (OSError, UnicodeDecodeError):
            return None
    try:
        res = apply_diff(patch, read)
    except PatchError:
        res = None
    if res is not None and res.ok:
        patch = "".join(f"diff --git a/{p} b/{p}\n" + "".join(difflib.unified_diff(
            (read(p) or "").splitlines(True), (new or "").splitlines(True), f"a/{p}", f"b/{p}"))
            for p, new in res.changes.items())
    return _hunk_lines(patch)


def _hunk_lines(patch: str) -> dict[str, set[int]]:
    out: dict[str, set[int]] = defaultdict(set)
    files, _ = gold(patch)
    cur, old, removed, added = None, 0, False, False

    def close():
        nonlocal removed, added
        if cur and added and not removed:
            out[cur].add(max(old - 1, 1))   # a pure addition: the line it follows
        removed = added = False
    for ln in patch.splitlines():
        if ln.startswith("diff --git"):
            close()
            cur = ln.split(" b/")[-1]
        elif ln.startswith("@@"):
            close()
            old = int(ln.split()[1].split(",")[0][1:])
        elif ln.startswith(("---", "+++")) or cur is None:
            continue
        elif ln.startswith("-"):
            out[cur].add(old)
            old, removed = old + 1, True
        elif ln.startswith("+"):
            added = True
        else:
            close()
            old += 1
    close()
    return {f: out.get(f, set()) for f in files}


def shown(lines: dict[str, set[int]], views) -> str:
    want = [(f, n) for f, ns in lines.items() for n in ns]
    got = sum(any(v.path == f and a <= n <= b for v in views for a, b in v.ranges) for f, n in want)
    return "all" if want and got == len(want) else "some" if got else "none"


def _timed_index(work: Path) -> tuple[float, int]:
    """Seconds for get_index from a new process's point of view, and how many builds it took."""
    from dsfix.tools.localize import index as im
    built, real = [], im.build_index

    def counting(*a, **k):
        built.append(1)
        return real(*a, **k)
    im._memo.clear()
    im.build_index = counting
    try:
        t = time.time()
        im.get_index(work)
        return time.time() - t, len(built)
    finally:
        im.build_index = real


@contextlib.contextmanager
def _as(builder: str):
    """`today`: the ranking's first TODAY_STEPS evidence steps, and views without the line above each
    place, without sibling places, without the constants a ranked function reads and without the
    head of a place over the budget left (viewplan.LEAD, SIBLING, HEAD_FIT, places.READ_SYMBOLS);
    `new`: everything."""
    from dsfix.agent import places, viewplan
    from dsfix.tools.localize import evidence
    saved = evidence.STEPS, viewplan.LEAD, viewplan.SIBLING, viewplan.HEAD_FIT, places.READ_SYMBOLS
    if builder == "today":
        (evidence.STEPS, viewplan.LEAD, viewplan.SIBLING, viewplan.HEAD_FIT,
         places.READ_SYMBOLS) = saved[0][:TODAY_STEPS], 0, 0.0, 0.0, 0
    try:
        yield
    finally:
        (evidence.STEPS, viewplan.LEAD, viewplan.SIBLING, viewplan.HEAD_FIT,
         places.READ_SYMBOLS) = saved


def run_instance(r: dict, work: Path, twin: Path, budget: int) -> dict:
    from dsfix.agent.context import MAX_SYMBOLS, TOP_K, context_for, first_prompt_tokens
    from dsfix.tools.localize import localize
    os.environ["DSFIX_CACHE_DIR"] = tempfile.mkdtemp(prefix="dsfix-ctx-cache-")
    try:
        cold, cold_builds = _timed_index(work)
        cached, cached_builds = _timed_index(twin)   # the same commit, another checkout
        issue = r["problem_statement"]
        lines = changed_lines(r["patch"], work)
        out = {"id": r["instance_id"], "repo": r["repo"], "split": r.get("split", ""),
               "t_cold": cold, "t_cached": cached,
               "cold_builds": cold_builds, "cached_builds": cached_builds}
        for ranking in ("today", "new"):
            with _as(ranking):
                loc = localize(work, issue, top_k=TOP_K, max_symbols=MAX_SYMBOLS)
                rmap, views = context_for(work, issue, loc, budget)
            builds = [(ranking, views)]
            if ranking == "today":
                builds.insert(0, ("one-window", baseline_views(work, loc, rmap, budget)))
            for name, vs in builds:
                out[name] = {"shown": shown(lines, vs), "files": len(vs),
                             "prompt_tokens": first_prompt_tokens(issue, rmap, vs),
                             "windows": sum(len(v.ranges) for v in vs),
                             **hits(loc.files, list(lines))}
        return out
    finally:
        shutil.rmtree(os.environ["DSFIX_CACHE_DIR"], ignore_errors=True)


def table(results: list[dict]) -> None:
    n = len(results)
    print(f"{n} instances, {len({x['repo'] for x in results})} repositories\n")
    print("| builder | split | n | all | some | none | prompt tokens mean | max | files | windows "
          "| hit@1 | hit@5 |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    splits = [("tune + dev", results)] + [(s, [x for x in results if x.get("split") == s])
                                          for s in ("tune", "dev")]
    for b in BUILDERS:
        for split, rows in splits:
            if rows:
                print(_row(b, split, rows))
    print(f"\nindex cold {statistics.mean(x['t_cold'] for x in results):.2f} s mean, cached in a "
          f"second checkout {statistics.mean(x['t_cached'] for x in results):.2f} s "
          f"({sum(x['cached_builds'] == 0 for x in results)}/{n} without a rebuild)\n")
    print("| repo | n | one-window all | today all | new all | new none |")
    print("| --- | --- | --- | --- | --- | --- |")
    groups = defaultdict(list)
    for x in results:
        groups[x["repo"]].append(x)
    for repo, rows in sorted(groups.items()):
        print(f"| {repo} | {len(rows)} | " + " | ".join(
            f"{_pct(lambda x, b=b, c=c: x[b]['shown'] == c, rows):.1f}"
            for b, c in (("one-window", "all"), ("today", "all"), ("new", "all"), ("new", "none")))
            + " |")


def _pct(k, rows) -> float:
    return 100 * sum(k(x) for x in rows) / max(len(rows), 1)


def _row(b: str, split: str, rows: list[dict]) -> str:
    toks = [x[b]["prompt_tokens"] for x in rows]
    shares = " | ".join(f"{_pct(lambda x, c=c: x[b]['shown'] == c, rows):.1f}"
                        for c in ("all", "some", "none"))
    return (f"| {b} | {split} | {len(rows)} | {shares} | {statistics.mean(toks):.0f} | {max(toks)} | "
            f"{statistics.mean(x[b]['files'] for x in rows):.1f} | "
            f"{statistics.mean(x[b]['windows'] for x in rows):.1f} | "
            f"{_pct(lambda x: x[b]['hit@1'], rows):.1f} | {_pct(lambda x: x[b]['hit@5'], rows):.1f} |")


def main(argv=None) -> int:
    from dsfix.agent.config import Settings
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", help="comma list of repo names (e.g. sympy,flask)")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--budget", type=int, default=Settings().context_tokens, help="context tokens")
    ap.add_argument("--scratch", default=str(Path(tempfile.gettempdir()) / "dsfix-bench-context"))
    ap.add_argument("--out", help="write per-instance JSON lines here")
    ap.add_argument("--merge", nargs="*", help="only print the table for these --out files")
    args = ap.parse_args(argv)
    if args.merge:
        rows = [json.loads(x) for f in args.merge for x in Path(f).read_text().splitlines()]
        table(list({x["id"]: x for x in rows}.values()))
        return 0
    scratch = Path(args.scratch)
    rows = load_instances(set(args.repos.split(",")) if args.repos else None)
    dev = {json.loads(x)["instance_id"] for x in (DATA / "dev.jsonl").read_text().splitlines()}
    for r in rows:
        r["split"] = "dev" if r["instance_id"] in dev else "tune"
    rows.sort(key=lambda r: (r["repo"], r["base_commit"]))
    rows = rows[: args.limit] if args.limit else rows
    results, skipped = [], Counter()
    out = open(args.out, "w") if args.out else None
    for r in rows:
        work = checkout(scratch / "a", r["repo"], r["base_commit"])
        twin = checkout(scratch / "b", r["repo"], r["base_commit"]) if work else None
        if twin is None:
            skipped[r["repo"]] += 1
            continue
        res = run_instance(r, work, twin, args.budget)
        results.append(res)
        if out:
            out.write(json.dumps(res) + "\n")
            out.flush()
        print(f"{res['id']:<40} one-window={res['one-window']['shown']:<4} "
              f"today={res['today']['shown']:<4} new={res['new']['shown']:<4} "
              f"tok={res['new']['prompt_tokens']} cold={res['t_cold']:.1f}s cached={res['t_cached']:.2f}s",
              file=sys.stderr)
    print(f"skipped {sum(skipped.values())} (mirror absent or commit missing): {dict(skipped)}\n")
    if results:
        table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
