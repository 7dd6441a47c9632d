"""The tests dsfix runs as an instance's related tests, beside the tests the official harness grades
(issue #19: every test run costs what a question needs, and no more).

For SWE-bench Lite tune and dev instances, at their exact base commits, two sources are tried: the
gold patch's changed files (oracle localization: only the choice of tests is measured) and the top 3
files dsfix's own ranking gives (what a batch run uses). The harness's files are the test_patch's
test files that exist before it (a file the test_patch adds cannot be known to anyone). Per revision
of ``agent/related.py``: how often the related set holds every / any harness file, its mean number of
files and bytes of test code (a proxy for its run time), and how often it is empty.

    python bench/related.py --revs main=a3c6e61,new=WORKTREE --per-repo 8

A revision other than WORKTREE is read with ``git show REV:agent/related.py`` and run against this
checkout's index, so only the choosing of tests differs.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import types
from collections import defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from localize import checkout, gold, load_instances  # noqa: E402  (bench/localize.py)


def chooser(rev: str):
    """``related_tests`` of a revision (WORKTREE: the installed one)."""
    if rev == "WORKTREE":
        from dsfix.agent.related import related_tests
        return related_tests
    src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:agent/related.py"],
                         capture_output=True, text=True, check=True).stdout
    mod = types.ModuleType(f"related_{rev}")
    exec(compile(src, f"{rev}:agent/related.py", "exec"), mod.__dict__)
    return mod.related_tests


def harness_files(test_patch: str, work: Path) -> list[str]:
    files, _ = gold(test_patch)
    return [f for f in files if f.endswith(".py") and (work / f).is_file()]


def measure(files: list[str], want: list[str], work: Path) -> dict:
    got = set(files)
    size = sum((work / f).stat().st_size for f in files if (work / f).is_file())
    return {"all": set(want) <= got, "any": bool(got & set(want)), "n": len(files), "kb": size / 1024,
            "empty": not files}


def run_instance(r: dict, work: Path, choosers: dict) -> dict | None:
    from dsfix.tools.localize import localize
    want = harness_files(r["test_patch"], work)
    if not want:
        return None
    sources = {"gold": [f for f in gold(r["patch"])[0] if f.endswith(".py")],
               "ranked": localize(work, r["problem_statement"], top_k=10).files[:3]}
    out = {"id": r["instance_id"], "repo": r["repo"]}
    for name, fn in choosers.items():
        for src, files in sources.items():
            out[(name, src)] = measure(fn(work, files), want, work)
    return out


def table(rows: list[dict], choosers: dict, console: Console) -> None:
    t = Table(title=f"related tests against the harness's test files ({len(rows)} instances)")
    for col in ("revision", "sources", "every harness file", "some", "empty", "files (mean)", "KiB of tests (mean)"):
        t.add_column(col, justify="left" if col in ("revision", "sources") else "right")
    for name in choosers:
        for src in ("gold", "ranked"):
            ms = [r[(name, src)] for r in rows]

            def pct(k: str, ms=ms) -> str:
                return f"{100 * sum(m[k] for m in ms) / len(ms):.1f}%"
            t.add_row(name, src, pct("all"), pct("any"), pct("empty"), f"{statistics.mean(m['n'] for m in ms):.1f}",
                      f"{statistics.mean(m['kb'] for m in ms):.0f}")
    console.print(t)
    by_repo = defaultdict(list)
    for r in rows:
        by_repo[r["repo"]].append(r)
    t = Table(title="every harness file, by repository (gold sources)")
    t.add_column("repo")
    t.add_column("n", justify="right")
    for name in choosers:
        t.add_column(name, justify="right")
    for repo, rs in sorted(by_repo.items()):
        t.add_row(repo, str(len(rs)), *(f"{sum(r[(n, 'gold')]['all'] for r in rs)}/{len(rs)}" for n in choosers))
    console.print(t)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--revs", default="main=main,new=WORKTREE", help="NAME=REV,... (REV: a git revision or WORKTREE)")
    ap.add_argument("--per-repo", type=int, default=8)
    ap.add_argument("--scratch", default=str(Path(tempfile.gettempdir()) / "dsfix-bench-related"))
    a = ap.parse_args(argv)
    choosers = {n: chooser(rev) for n, rev in (p.split("=", 1) for p in a.revs.split(","))}
    scratch = Path(a.scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    seen, rows, console = defaultdict(int), [], Console(width=160)
    for r in load_instances(None):
        if seen[r["repo"]] >= a.per_repo:
            continue
        work = checkout(scratch, r["repo"], r["base_commit"])
        if work is None:
            continue
        row = run_instance(r, work, choosers)
        if row:
            seen[r["repo"]] += 1
            rows.append(row)
            console.print(f"{r['instance_id']}: " + "  ".join(
                f"{n}/{s} {'all' if row[(n, s)]['all'] else 'any' if row[(n, s)]['any'] else 'none'}"
                for n in choosers for s in ("gold", "ranked")), highlight=False)
    table(rows, choosers, console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
