"""uv against pip (issue #17 item 1): environment build time on bench/user_repos.py's repositories.

Not run in CI. For each case (bench/user_repos_cases.py) the fetched mirror is cloned at the fix's
parent and `dsfix env build` runs once per installer, the two side by side in the same run:

  uv  -- env.installer auto, dsfix's default: uv (pip-installed into its own venv for the build),
         a step uv refuses tried again with pip;
  pip -- env.installer pip: the venv's own pip for every step.

With --baseline CLI, another checkout's dsfix builds first with its default installer (column
"uv @ baseline"), minutes apart on the same machine.

The installer is part of the image key, so each gets its own image; --fresh (the default) removes
a case's image first, so "first" is a real build, then "cached" is the same command again (the
lookup, CLI start included). The installer is set through DSFIX_ENV__INSTALLER, as a user would.

    python bench/user_repos_install.py                          # every case, both installers
    python bench/user_repos_install.py --repos hukkin/tomli --installers auto,pip
    python bench/user_repos_install.py --table /tmp/dsfix-bench-user-repos/user_repos_install.json
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from user_repos import DSFIX, _stop, checkout, dsfix  # noqa: E402
from user_repos_cases import CASES, Case  # noqa: E402

NAMES = {"auto": "uv", "uv": "uv only", "pip": "pip", "base": "uv @ baseline"}
BUILT = re.compile(r"(dsfix/project:\w+): (?:built in \S+ with (.+?)|cached \(\S+\)); python (\S+)")


@dataclass
class Build:
    installer: str                  # the setting: auto | uv | pip; base: --baseline's CLI, auto
    first_s: float | None = None
    built: bool = False
    cached_s: float | None = None
    used: str = ""                  # what the build said installed ("uv 0.9.x", "pip 23.0.1")
    fallbacks: int = 0              # steps uv failed and pip did (auto only)
    steps: int = 0
    error: str = ""


@dataclass
class Row:
    repo: str
    fix: str
    python: str = ""
    builds: list[Build] = field(default_factory=list)


def build(repo: Path, installer: str, fresh: bool, client) -> tuple[Build, str]:
    """`dsfix env build` with ``installer``: first (the image removed first when ``fresh``), cached."""
    b = Build(installer)
    env = {"DSFIX_ENV__INSTALLER": "auto" if installer == "base" else installer}
    os.environ["DSFIX_BENCH_CLI"] = os.environ["DSFIX_BENCH_BASELINE" if installer == "base" else "DSFIX_BENCH_OURS"]
    r, secs = dsfix("env", "build", str(repo), env=env)
    m = BUILT.search(r.stdout)
    if m and fresh and not m[2]:
        client.images.remove(m[1], force=True)   # this case's image for this installer, made by this bench
        r, secs = dsfix("env", "build", str(repo), env=env)
        m = BUILT.search(r.stdout)
    if r.returncode != 0 or not m:
        b.error = (r.stderr.strip().splitlines() or [r.stdout.strip()])[-1][:300]
        return b, ""
    b.first_s, b.built, b.used = secs, bool(m[2]), m[2] or ""
    b.fallbacks = r.stderr.count("uv failed; trying this step with pip")
    b.steps = len(re.findall(r"env image: step \d+/", r.stderr))
    _, b.cached_s = dsfix("env", "build", str(repo), env=env)
    return b, m[3]



def run_case(case: Case, installers: list[str], fresh: bool, client) -> Row:
    row = Row(case.repo, case.fix[:10])
    work = Path(tempfile.mkdtemp(prefix="dsfix-bench-uri-", dir="/tmp"))
    try:
        repo = checkout(case, work / case.repo.split("/")[1], {})
        for inst in installers:
            b, py = build(repo, inst, fresh, client)
            row.builds.append(b)
            row.python = row.python or py
        return row
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _s(v: float | None) -> str:
    return "-" if v is None else f"{v:.1f}s"


def _first(b: Build) -> str:
    if b.error:
        return "failed"
    return _s(b.first_s) + ("" if b.built else " (cached)") + (f" ({b.fallbacks} to pip)" if b.fallbacks else "")


def table(rows: list[Row], installers: list[str]) -> Table:
    t = Table(title="dsfix env build: uv (dsfix's default) beside pip; a row's builds minutes apart")
    for col in ["repository @ fix", "py", "steps"]:
        t.add_column(col)
    for inst in installers:
        t.add_column(f"{NAMES[inst]} first")
        t.add_column(f"{NAMES[inst]} cached")
    if {"auto", "pip"} <= set(installers):
        t.add_column("first: pip / uv")
    for r in rows:
        by = {b.installer: b for b in r.builds}
        cells = []
        for inst in installers:
            b = by.get(inst) or Build(inst, error="not run")
            cells += [_first(b), _s(b.cached_s)]
        t.add_row(f"{r.repo} @ {r.fix[:8]}", r.python, str(max((b.steps for b in r.builds), default=0)),
                  *cells, *([_ratio(by)] if {"auto", "pip"} <= set(installers) else []))
    t.add_section()
    tot = []
    for inst in installers:
        done = [b for r in rows for b in r.builds if b.installer == inst and b.built and not b.error]
        tot += [f"{sum(b.first_s for b in done):.0f}s ({len(done)} built)",
                f"{sum(b.cached_s or 0 for b in done):.1f}s"]
    t.add_row(f"total: {len(rows)} repositories", "", "", *tot,
              *([_total_ratio(rows)] if {"auto", "pip"} <= set(installers) else []))
    return t


def _ratio(by: dict) -> str:
    a, b = by.get("auto"), by.get("pip")
    if not (a and b and a.built and b.built and a.first_s and b.first_s):
        return "-"
    return f"{b.first_s / a.first_s:.2f}x"


def _total_ratio(rows: list[Row]) -> str:
    """Over the repositories both installers built."""
    pairs = [({b.installer: b for b in r.builds}) for r in rows]
    both = [p for p in pairs if all(p.get(i) and p[i].built and not p[i].error for i in ("auto", "pip"))]
    a = sum(p["auto"].first_s for p in both)
    b = sum(p["pip"].first_s for p in both)
    return f"{b / a:.2f}x ({len(both)} repos)" if a else "-"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", default="", help="comma-separated owner/name (default: every case)")
    ap.add_argument("--installers", default="auto,pip", help="env.installer values, in order (auto, uv, pip)")
    ap.add_argument("--out", default="/tmp/dsfix-bench-user-repos", help="where user_repos_install.json goes")
    ap.add_argument("--fresh", action=argparse.BooleanOptionalAction, default=True,
                    help="remove a case's image first, so the first build is real")
    ap.add_argument("--dsfix", default=DSFIX, help="the dsfix CLI to measure")
    ap.add_argument("--baseline", default=None, metavar="CLI",
                    help="another checkout's dsfix CLI, built with first (its default installer)")
    ap.add_argument("--table", nargs="+", metavar="JSON", default=None, help="only print the table again")
    args = ap.parse_args()
    installers = [i.strip() for i in args.installers.split(",") if i.strip()]
    if not installers or set(installers) - {"auto", "uv", "pip"}:
        print("--installers: choose from auto, uv, pip", file=sys.stderr)
        return 2
    if args.baseline:
        installers.insert(0, "base")
        os.environ["DSFIX_BENCH_BASELINE"] = args.baseline
    console = Console(width=200)
    if args.table:
        rows = {}
        for f in args.table:
            rows.update({r["repo"]: Row(r["repo"], r["fix"], r["python"], [Build(**b) for b in r["builds"]])
                         for r in json.loads(Path(f).read_text())})
        console.print(table(list(rows.values()), installers))
        return 0
    os.environ["DSFIX_BENCH_OURS"] = args.dsfix
    from dsfix.envs.docker_env import docker_client
    client = docker_client(timeout=600)
    signal.signal(signal.SIGTERM, _stop)
    want = {r.strip() for r in args.repos.split(",") if r.strip()}
    cases = [c for c in CASES if not want or c.repo in want]
    if want - {c.repo for c in cases}:
        print(f"no such case: {', '.join(sorted(want - {c.repo for c in cases}))}", file=sys.stderr)
        return 2
    Path(args.out).mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    for case in cases:
        rows.append(run_case(case, installers, args.fresh, client))
        console.print(f"{case.repo}: " + "; ".join(f"{b.installer} {_first(b)} / cached {_s(b.cached_s)}"
                                                   f"{' ' + b.error if b.error else ''}" for b in rows[-1].builds))
        (Path(args.out) / "user_repos_install.json").write_text(json.dumps([asdict(r) for r in rows], indent=2))
    console.print(table(rows, installers))
    return 1 if any(b.error for r in rows for b in r.builds) else 0


if __name__ == "__main__":
    sys.exit(main())
