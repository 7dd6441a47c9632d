"""Benchmark dsfix.tools.localize against plain BM25 on SWE-bench Lite (tune + dev).

    .venv/bin/python bench/localize.py [--repos sympy,flask] [--limit N] [--cold]

Repos come from `fetch` mirrors (/work/.mirror/owner+name/repo); each is cloned
--shared into a scratch dir outside the project and checked out at base_commit.
Instances whose repo mirror is absent are skipped and counted. Not run in CI.

--sdists DIR: for repos too big to `fetch` (django, scikit-learn, matplotlib), use the PyPI source
distribution of the instance's version (DIR/<name>-<X.Y>[.0|.z].tar.gz, the earliest release of
that series) instead of the checkout at base_commit. Approximate: base_commit is a development
commit before that release. The gold patch is placed in that tree by dsfix's own diff applier
(by content), so changed lines and functions are those of the tree searched; instances whose gold
patch does not apply there are skipped and counted. When the release already contains the fix
(merged during that release's development), the fix is reverted in the tree before searching, so
the searched code is the buggy one. Rows measured this way are marked "(sdist)".
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

DATA = Path("/work/shared/data/swebench-lite")
MIRRORS = Path("/work/.mirror")
SPLITS = ("test-tune.jsonl", "dev.jsonl")


def load_instances(repos: set[str] | None) -> list[dict]:
    rows = []
    for split in SPLITS:
        for line in (DATA / split).read_text().splitlines():
            r = json.loads(line)
            if not repos or r["repo"].split("/")[1] in repos:
                rows.append(r)
    return rows


def checkout(scratch: Path, repo: str, commit: str) -> Path | None:
    mirror = MIRRORS / repo.replace("/", "+") / "repo"
    if not mirror.is_dir():
        return None
    work = scratch / repo.replace("/", "+")
    if not work.exists():
        subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(mirror), str(work)],
                       check=True)
    cmd = ["git", "-C", str(work), "checkout", "-q", "-f", "--detach", commit]
    res = subprocess.run(cmd, capture_output=True)
    if res.returncode:
        # mirrors may lack big data blobs; the index only needs Python sources
        subprocess.run(["git", "-C", str(work), "sparse-checkout", "set", "--no-cone",
                        "*.py", "*.pyi"], capture_output=True)
        res = subprocess.run(cmd, capture_output=True)
    if res.returncode:
        return None
    subprocess.run(["git", "-C", str(work), "clean", "-fdqx"], check=True)
    return work


SDIST_NAMES = {"django/django": "Django", "scikit-learn/scikit-learn": "scikit-learn",
               "matplotlib/matplotlib": "matplotlib"}


def _version_key(name: str) -> tuple:
    return tuple(int(x) if x.isdigit() else 0 for x in re.findall(r"\d+", name))


def sdist_tree(sdists: Path, scratch: Path, repo: str, version: str) -> Path | None:
    """The earliest release of `version`'s series, unpacked and committed once (the index caches
    per commit)."""
    name = SDIST_NAMES.get(repo, repo.split("/")[1])
    cands = [p for p in sdists.glob(f"{name}-{version}*.tar.gz")
             if re.fullmatch(rf"{re.escape(name)}-{re.escape(version)}(\.\d+)?\.tar\.gz", p.name)]
    if not cands:
        return None
    tarball = min(cands, key=lambda p: _version_key(p.name))
    work = scratch / "sdist" / tarball.name[: -len(".tar.gz")]
    if not (work / ".git").is_dir():
        import shutil
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        subprocess.run(["tar", "xzf", str(tarball), "-C", str(work), "--strip-components=1"], check=True)
        for cmd in (["init", "-q"], ["add", "-A", "-f"],
                    ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", tarball.name]):
            subprocess.run(["git", "-C", str(work), *cmd], check=True, capture_output=True)
    return work


def reverse_patch(patch: str) -> str:
    """The same unified diff, undoing instead of doing."""
    out = []
    for ln in patch.splitlines(True):
        if ln.startswith("--- "):
            out.append("+++ " + ln[4:])
        elif ln.startswith("+++ "):
            out.append("--- " + ln[4:])
        elif ln.startswith("@@"):
            m = re.match(r"@@ -(\S+) \+(\S+) @@(.*)", ln, flags=re.S)
            out.append(f"@@ -{m.group(2)} +{m.group(1)} @@{m.group(3)}" if m else ln)
        elif ln[:1] in "+-":
            out.append(("-" if ln[0] == "+" else "+") + ln[1:])
        else:
            out.append(ln)
    # git lists "---" before "+++": restore that order after the swap
    text = "".join(out)
    return re.sub(r"^(\+\+\+ .*\n)(--- .*\n)", r"\2\1", text, flags=re.M)


def _diff(work: Path, changes: dict[str, str | None], read) -> str:
    import difflib
    out = []
    for path, new in changes.items():
        old = read(path) or ""
        body = "".join(difflib.unified_diff(old.splitlines(True), (new or "").splitlines(True),
                                            f"a/{path}", f"b/{path}"))
        out.append(f"diff --git a/{path} b/{path}\n{body}")
    return "".join(out)


def relocate_patch(patch: str, work: Path) -> tuple[str, str] | None:
    """Place the gold patch in `work` by content: ("forward", diff against work) when the release
    lacks the fix; ("reverted", diff) when the release already has it -- then the fix is undone in
    `work` (the caller restores it with `git checkout`). None when neither applies."""
    from dsfix.tools.diff import PatchError, apply_diff

    def read(p: str) -> str | None:
        try:
            return (work / p).read_text()
        except (OSError, UnicodeDecodeError):
            return None
    for mode, text in (("forward", patch), ("reverted", reverse_patch(patch))):
        try:
            res = apply_diff(text, read)
        except PatchError:
            continue
        if not res.ok:
            continue
        if mode == "forward":
            return mode, _diff(work, res.changes, read)
        for path, content in res.changes.items():   # undo the fix in the tree searched
            if content is None:
                (work / path).unlink(missing_ok=True)
            else:
                (work / path).parent.mkdir(parents=True, exist_ok=True)
                (work / path).write_text(content)
        fwd = apply_diff(patch, read)
        return (mode, _diff(work, fwd.changes, read)) if fwd.ok else None
    return None


def restore(work: Path) -> None:
    subprocess.run(["git", "-C", str(work), "checkout", "-q", "-f", "HEAD", "--", "."], check=True)
    subprocess.run(["git", "-C", str(work), "clean", "-fdq"], check=True)


def gold(patch: str) -> tuple[list[str], dict[str, list[int]]]:
    """Changed files and, per file, the original line numbers the hunks touch."""
    files, lines, cur, old = [], defaultdict(list), None, 0
    for ln in patch.splitlines():
        if ln.startswith("diff --git"):
            cur = ln.split(" b/")[-1]
            files.append(cur)
        elif ln.startswith("@@"):
            old = int(re.match(r"@@ -(\d+)", ln).group(1))
        elif cur and ln.startswith("-") and not ln.startswith("---"):
            lines[cur].append(old)
            old += 1
        elif cur and ln.startswith("+") and not ln.startswith("+++"):
            lines[cur].append(old)  # insertion point
        elif cur and ln.startswith(" "):
            old += 1
    return files, lines


def gold_functions(idx, lines: dict[str, list[int]]) -> set[tuple[str, str]]:
    out = set()
    for f, nums in lines.items():
        syms = [idx.symbols[i] for i in idx.file_syms.get(f, ())]
        for n in nums:
            inner = [s for s in syms if s.start <= n <= s.end and s.kind != "class"]
            if inner:
                s = min(inner, key=lambda s: s.end - s.start)
                out.add((f, s.name))
    return out


def _cpu() -> float:
    """CPU seconds of this process and its reaped workers: wall time is unreliable
    on a shared machine, CPU time shows what the index costs."""
    import resource
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


_PLAIN = re.compile(r"\w+")


def plain_bm25(repo: Path, paths: list[str], issue: str) -> list[str]:
    from dsfix.tools.localize.bm25 import BM25
    docs = []
    for p in paths:
        text = (repo / p).read_text(errors="replace")
        docs.append(Counter(w.lower() for w in _PLAIN.findall(text)))
    bm = BM25.build(docs)
    scores = bm.score(Counter(w.lower() for w in _PLAIN.findall(issue)))
    return [paths[d] for d in sorted(scores, key=scores.get, reverse=True)[:10]]


def hits(ranked: list[str], gold_files: list[str]) -> dict[str, float]:
    g = set(gold_files)
    r = {f"hit@{k}": float(bool(g & set(ranked[:k]))) for k in (1, 3, 5, 10)}
    r["all@5"] = float(g <= set(ranked[:5]))
    return r


def run_instance(r: dict, work: Path, baseline: bool) -> dict:
    from dsfix.tools.localize import index as index_mod, localize, repo_map
    index_mod._memo.clear()
    t0, c0 = time.time(), _cpu()
    idx = index_mod.get_index(work)
    t_index, c_index = time.time() - t0, _cpu() - c0
    t0 = time.time()
    loc = localize(work, r["problem_statement"], top_k=10)
    t_query = time.time() - t0
    index_mod._memo.clear()
    t0 = time.time()
    localize(work, r["problem_statement"], top_k=10)  # from the disk cache
    t_cached = time.time() - t0
    files, lines = gold(r["patch"])
    out = {"id": r["instance_id"], "repo": r["repo"], "gold": files, "top": loc.files[:5],
           "t_index": t_index, "cpu_index": c_index, "t_query": t_query, "t_cached": t_cached}
    out.update({f"dsfix_{k}": v for k, v in hits(loc.files, files).items()})
    gf = gold_functions(idx, lines)
    out["dsfix_fn@5"] = float(bool(gf & {(s.file, s.name) for s in loc.symbols[:5]})) if gf else None
    out["map_tokens"] = len(repo_map(work, loc.files[:5], max_tokens=2000)) // 4
    if baseline:
        out.update({f"bm25_{k}": v for k, v in
                    hits(plain_bm25(work, idx.paths, r["problem_statement"]), files).items()})
    return out


def table(results: list[dict], baseline: bool):
    def mean(key, rows):
        vals = [x[key] for x in rows if x.get(key) is not None]
        return 100 * statistics.mean(vals) if vals else float("nan")
    groups = defaultdict(list)
    for x in results:
        groups[x["repo"]].append(x)
    groups["ALL"] = results
    cols = ["hit@1", "hit@3", "hit@5", "hit@10", "all@5"]
    head = f"{'repo':<28}{'n':>4} " + " ".join(f"{c:>7}" for c in cols) + f" {'fn@5':>6}"
    head += f" {'idx s':>6} {'idxcpu':>6} {'q s':>6} {'cache':>6} {'map tok':>7}"
    print(head)
    for repo, rows in sorted(groups.items(), key=lambda kv: (kv[0] == "ALL", kv[0])):
        line = f"{repo:<28}{len(rows):>4} " + " ".join(f"{mean('dsfix_' + c, rows):>7.1f}" for c in cols)
        line += f" {mean('dsfix_fn@5', rows):>6.1f}"
        line += "".join(f" {statistics.mean(x[k] for x in rows):>6.2f}"
                         for k in ("t_index", "cpu_index", "t_query", "t_cached"))
        line += f" {statistics.mean(x['map_tokens'] for x in rows):>7.0f}"
        print(line)
        if baseline:
            print(f"{'  plain BM25':<28}{'':>4} " +
                  " ".join(f"{mean('bm25_' + c, rows):>7.1f}" for c in cols))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repos", help="comma list of repo names (e.g. sympy,flask)")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--scratch", default=str(Path(tempfile.gettempdir()) / "dsfix-bench"))
    ap.add_argument("--cold", action="store_true", help="fresh index cache (time real builds)")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--out", help="write per-instance JSON lines here")
    ap.add_argument("--sdists", help="dir of PyPI sdists for repos without a mirror (see the docstring)")
    ap.add_argument("--merge", nargs="*", help="only print the table for these --out files")
    ap.add_argument("--shard", default="0/1", help="K/N: run every Nth instance from K "
                    "(use a separate --scratch per shard)")
    args = ap.parse_args(argv)
    if args.merge:  # one table over several shards' --out files
        rows = [json.loads(l) for f in args.merge for l in Path(f).read_text().splitlines()]
        results = list({x["id"]: x for x in rows}.values())  # later files win on reruns
        print(f"{len(results)} instances")
        table(results, not args.no_baseline)
        return 0
    import os
    if args.cold:
        os.environ["DSFIX_CACHE_DIR"] = tempfile.mkdtemp(prefix="dsfix-bench-cache-")
    else:
        os.environ.setdefault("DSFIX_CACHE_DIR", str(Path(args.scratch) / "cache"))
    scratch = Path(args.scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    rows = load_instances(set(args.repos.split(",")) if args.repos else None)
    rows.sort(key=lambda r: (r["repo"], r["base_commit"]))
    k, n = map(int, args.shard.split("/"))
    rows = rows[k::n]
    if args.limit:
        rows = rows[: args.limit]
    results, skipped, sdist_modes = [], Counter(), Counter()
    for r in rows:
        work = checkout(scratch, r["repo"], r["base_commit"])
        if work is None and args.sdists:
            work = sdist_tree(Path(args.sdists), scratch, r["repo"], r["version"])
            placed = relocate_patch(r["patch"], work) if work else None
            if placed is None:
                skipped[r["repo"] + (" (gold neither applies nor reverts on the sdist)" if work else "")] += 1
                if work:
                    restore(work)
                continue
            sdist_modes[placed[0]] += 1
            r = {**r, "patch": placed[1], "repo": r["repo"] + " (sdist)"}
        if work is None:
            skipped[r["repo"]] += 1
            continue
        try:
            res = run_instance(r, work, not args.no_baseline)
        finally:
            if r["repo"].endswith("(sdist)"):
                restore(work)
        results.append(res)
        print(f"{res['id']:<40} hit@5={res['dsfix_hit@5']:.0f} bm25@5={res.get('bm25_hit@5', -1):.0f} "
              f"idx={res['t_index']:.1f}s cpu={res['cpu_index']:.1f}s", file=sys.stderr)
    if args.out:
        Path(args.out).write_text("".join(json.dumps(x) + "\n" for x in results))
    print(f"\n{len(results)} instances; skipped {sum(skipped.values())} (repo absent or commit "
          f"missing): {dict(skipped)}")
    if sdist_modes:
        print(f"sdist rows: gold applied forward {sdist_modes['forward']}, release already had the fix "
              f"(reverted before searching) {sdist_modes['reverted']}")
    if results:
        table(results, not args.no_baseline)
    return 0


if __name__ == "__main__":
    sys.exit(main())
