"""Your repository, proven (issue #17): `dsfix fix` on real public repositories, out of the box.

Not run in CI. For each case in bench/user_repos_cases.py (no SWE-bench repository among them): the
fetched mirror is cloned under /tmp and checked out at the parent of a real upstream bug fix;
`dsfix env build` builds its image (first: a real build; then again: the cached lookup); then
`dsfix fix` runs twice with a scripted model (a replay of given answers, not a real model) playing a
good model: the reproduction written from the fix's test, then
  real  -- the upstream fix's non-test part, as a diff: must come out `verified`;
  noop  -- a diff that only adds a comment to the file the fix changes: must not.
Prints one row per repository, totals at the bottom, and the targets; writes user_repos.json.

    python bench/user_repos.py                       # every case
    python bench/user_repos.py --repos pallets/click,hukkin/tomli --no-fresh

Mirrors: /work/.mirror/OWNER+NAME/repo (as brought by the `fetch` tool). Images are cached as
usual (--fresh, the default, removes a case's project image first so the first build is real);
temp dirs are removed and no container may be left behind (checked per run).
"""
from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from user_repos_cases import CASES, Case  # noqa: E402

MIRRORS = Path("/work/.mirror")
DSFIX = str(Path(sys.executable).parent / "dsfix")
TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test[^/]*\.py$|_test\.py$|(^|/)conftest\.py$")
CACHED_TARGET_S = 5.0


@dataclass
class Row:
    repo: str
    fix: str
    build_first_s: float | None = None
    built: bool = False
    build_cached_s: float | None = None
    python: str = ""
    test_source: str = ""
    collected: int = 0
    before: dict = field(default_factory=dict)
    real: str = ""
    real_after: dict = field(default_factory=dict)
    real_s: float = 0.0
    real_attempt_s: float | None = None
    lookup_in_run_s: float | None = None
    noop: str = ""
    noop_attempt_s: float | None = None
    yaml: dict = field(default_factory=dict)
    leaked: int = 0
    notes: list[str] = field(default_factory=list)


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout


def mirror(case: Case) -> Path:
    path = MIRRORS / case.repo.replace("/", "+", 1) / "repo"
    if not path.is_dir():
        raise SystemExit(f"no mirror for {case.repo} at {path}: fetch github:{case.repo} first")
    return path


def checkout(case: Case, dest: Path, yaml: dict) -> Path:
    """A clone at the fix's parent: the user's repository, with the bug."""
    subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(mirror(case)), str(dest)], check=True)
    git(dest, "checkout", "-q", "--detach", f"{case.fix}^")
    if yaml:
        (dest / "dsfix.yaml").write_text(json.dumps(yaml))
    return dest


def source_files(repo: Path, case: Case) -> list[str]:
    """The fix's non-test Python files: what the real fix is."""
    names = git(repo, "diff", "--name-only", f"{case.fix}^", case.fix).split()
    return [n for n in names if n.endswith(".py") and not TEST_PATH.search(n)]


def real_fix(repo: Path, case: Case) -> str:
    return git(repo, "diff", f"{case.fix}^", case.fix, "--", *source_files(repo, case))


def noop_fix(repo: Path, case: Case) -> str:
    """A comment appended to the first file the fix changes: applies, changes nothing."""
    path = source_files(repo, case)[0]
    old = (repo / path).read_text()
    new = old + ("" if old.endswith("\n") else "\n") + "# handles the reported case\n"
    body = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))
    return f"diff --git a/{path} b/{path}\n{body}"


def replay(path: Path, case: Case, diff: str, then: str) -> str:
    """The scripted model's answers (a replay, not a model): the reproduction, then the diff."""
    answers = [f"A script that shows it:\n\n```python\n{case.repro}```\n",
               f"The fix:\n\n```diff\n{diff}```\n"]
    path.write_text(json.dumps({"responses": answers, "then": then}))
    return f"scripted/{path}"


def dsfix(*args: str, env: dict | None = None, timeout: int = 3600, pids: list | None = None):
    """Run the dsfix CLI; (CompletedProcess, seconds). ``pids`` collects the child's pid, which its
    containers carry on their labels."""
    full = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", **(env or {})}
    t0 = time.monotonic()
    with subprocess.Popen([os.environ.get("DSFIX_BENCH_CLI", DSFIX), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          env=full) as p:
        if pids is not None:
            pids.append(p.pid)
        try:
            stdout, stderr = p.communicate(timeout=timeout)
        except BaseException:   # the bench stopped or timed out: dsfix removes its container on SIGTERM
            p.terminate()
            p.communicate(timeout=120)
            raise
    r = subprocess.CompletedProcess(p.args, p.returncode, stdout, stderr)
    return r, round(time.monotonic() - t0, 2)


def env_build(repo: Path, row: Row, fresh: bool, client) -> bool:
    r, secs = dsfix("env", "build", str(repo))
    m = re.search(r"(dsfix/project:\w+): (built|cached)", r.stdout)
    if r.returncode != 0 or not m:
        row.notes.append("env build: " + (r.stderr.strip().splitlines() or [r.stdout.strip()])[-1][:300])
        return False
    if m[2] == "cached" and fresh:
        client.images.remove(m[1], force=True)   # ours: made by this bench for this case
        r, secs = dsfix("env", "build", str(repo))
        m = re.search(r"(dsfix/project:\w+): (built|cached)", r.stdout)
    row.build_first_s, row.built = secs, m[2] == "built"
    row.python = (re.search(r"python (\S+)", r.stdout) or [None, ""])[1]
    _, row.build_cached_s = dsfix("env", "build", str(repo))
    return True


def per_attempt(out: Path) -> float | None:
    """Seconds from the first diff answer to the run's end, per attempt (model time is ~0 here)."""
    events = [json.loads(l) for l in (out / "trajectory.jsonl").read_text().splitlines()]
    starts = [e["t"] for e in events if e["type"] == "message" and e.get("role") == "assistant"
              and e.get("phase") == "edit"]
    end = [e["t"] for e in events if e["type"] == "end"]
    attempts = json.loads((out / "report.json").read_text()).get("attempts") or 0
    return round((end[-1] - starts[0]) / attempts, 2) if starts and end and attempts else None


def fix_run(repo: Path, case: Case, work: Path, kind: str, attempts: int, args) -> dict:
    diff = real_fix(repo, case) if kind == "real" else noop_fix(repo, case)
    model = replay(work / f"{kind}.json", case, diff, "error" if kind == "real" else "repeat")
    out = work / f"out-{kind}"
    pids: list[int] = []
    r, secs = dsfix("fix", str(repo), "--issue", case.issue, "--model", model, "--out", str(out),
                    env={"DSFIX_LIMITS__MAX_ATTEMPTS": str(attempts),
                         "DSFIX_ENV__EXEC_TIMEOUT": str(args.exec_timeout)}, pids=pids)
    rep = json.loads((out / "report.json").read_text()) if (out / "report.json").is_file() else {}
    return {"rc": r.returncode, "seconds": secs, "report": rep, "stderr": r.stderr[-2000:],
            "attempt_s": per_attempt(out) if rep else None, "leaked": left_behind(args.client, pids)}


def left_behind(client, pids: list[int]) -> int:
    """Containers still there that our dsfix processes made (their owner pid is on the label)."""
    host, ours = os.uname().nodename, {str(p) for p in pids}
    return sum(1 for c in client.containers.list(all=True, filters={"label": "dsfix=1"})
               if c.labels.get("dsfix.host") == host and c.labels.get("dsfix.pid") in ours)


def run_case(case: Case, args, client) -> Row:
    row = Row(case.repo, case.fix[:10], yaml={} if args.no_yaml else case.yaml)
    work = Path(tempfile.mkdtemp(prefix="dsfix-bench-ur-", dir="/tmp"))
    try:
        repo = checkout(case, work / case.repo.split("/")[1], row.yaml)
        if not env_build(repo, row, args.fresh, client):
            return row
        for kind, attempts in (("real", args.attempts), ("noop", args.noop_attempts)):
            res = fix_run(repo, case, work, kind, attempts, args)
            rep, row.leaked = res["report"], row.leaked + res["leaked"]
            status = rep.get("status") or f"rc {res['rc']}"
            if status != ("verified" if kind == "real" else "failed"):
                why = rep.get("message") or (res["stderr"].strip().splitlines() or ["?"])[-1]
                row.notes.append(f"{kind}: {status}: {why[:300]}")
            if kind == "real":
                tests = rep.get("tests") or {}
                row.before = (tests.get("before") or {}).get("counts", {})
                row.collected = sum(row.before.values())
                row.real_after = (tests.get("after") or {}).get("counts", {})
                row.test_source = f"{tests.get('source', '')}: {tests.get('command', '')}"
                row.real, row.real_s, row.real_attempt_s = status, res["seconds"], res["attempt_s"]
                row.lookup_in_run_s = _total(((rep.get("timings") or {}).get("environment") or {}).get("image_lookup"))
            else:
                row.noop, row.noop_attempt_s = status, res["attempt_s"]
            if args.keep:
                shutil.copytree(work / f"out-{kind}", Path(args.out) / case.repo.replace("/", "+") / kind,
                                dirs_exist_ok=True)
        return row
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _total(timing) -> float | None:
    """report.json's timings are {count, total, mean}."""
    return timing.get("total") if isinstance(timing, dict) else timing


def _fmt(v, unit="s") -> str:
    return "-" if v is None else f"{v:.1f}{unit}" if isinstance(v, float) else str(v)


def _tests(r: Row) -> str:
    """Tests dsfix read from the baseline run, and how many of them were red before any change."""
    red = sum(n for s, n in r.before.items() if s in ("FAILED", "ERROR"))
    return f"{r.collected}" + (f" ({red} red)" if red else "")


def table(rows: list[Row]) -> Table:
    t = Table(title="dsfix fix on real repositories (scripted model: a reproduction, then the upstream fix / a no-op)")
    for col in ("repository @ fix", "py", "env first", "env cached", "lookup in run", "tests", "real fix",
                "s/attempt", "no-op", "s/attempt ", "dsfix.yaml"):
        t.add_column(col)
    for r in rows:
        t.add_row(f"{r.repo} @ {r.fix[:8]}", r.python, _fmt(r.build_first_s) + ("" if r.built else " (cached)"),
                  _fmt(r.build_cached_s), _fmt(r.lookup_in_run_s), _tests(r),
                  r.real or "-", _fmt(r.real_attempt_s), r.noop or "-", _fmt(r.noop_attempt_s),
                  json.dumps(r.yaml) if r.yaml else "nothing")
    n = len(rows)
    ok_real = sum(r.real == "verified" and r.collected > 0 for r in rows)
    ok_noop = sum(bool(r.noop) and r.noop != "verified" for r in rows)
    fast = sum(r.lookup_in_run_s is not None and r.lookup_in_run_s < CACHED_TARGET_S for r in rows)
    builds = [r.build_first_s for r in rows if r.built]
    t.add_section()
    t.add_row(f"total: {n} repositories", "", f"{sum(builds):.0f}s ({len(builds)} built)",
              _fmt(sum(r.build_cached_s or 0 for r in rows)), f"{fast}/{n} < {CACHED_TARGET_S:.0f}s",
              str(sum(r.collected for r in rows)), f"{ok_real}/{n} verified", "",
              f"{ok_noop}/{n} refused", "", f"{sum(not r.yaml for r in rows)}/{n} nothing")
    return t


def _stop(*_):
    raise KeyboardInterrupt   # so `finally` removes the temp dirs and stops the running dsfix


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", default="", help="comma-separated owner/name (default: every case)")
    ap.add_argument("--out", default="/tmp/dsfix-bench-user-repos", help="where user_repos.json goes")
    ap.add_argument("--fresh", action=argparse.BooleanOptionalAction, default=True,
                    help="remove a case's project image first, so the first build is real")
    ap.add_argument("--attempts", type=int, default=2, help="limits.max_attempts for the real fix")
    ap.add_argument("--noop-attempts", type=int, default=1, help="limits.max_attempts for the no-op")
    ap.add_argument("--exec-timeout", type=int, default=900,
                    help="env.exec_timeout for the runs (a trusted setting, never from dsfix.yaml; dsfix's "
                         "default 300 s is too short for pypa/packaging's suite on a loaded 2-core machine)")
    ap.add_argument("--dsfix", default=DSFIX, help="the dsfix CLI to measure (another checkout's: a baseline)")
    ap.add_argument("--no-yaml", action="store_true", help="ignore the cases' dsfix.yaml: dsfix's defaults only")
    ap.add_argument("--keep", action="store_true", help="copy each run's outputs (report, trajectory) to --out")
    ap.add_argument("--table", nargs="+", metavar="JSON", default=None,
                    help="only print the table from earlier runs' user_repos.json (a later file's row "
                         "for a repository replaces an earlier one's)")
    args = ap.parse_args()
    os.environ["DSFIX_BENCH_CLI"] = args.dsfix
    if args.table:
        rows = {}
        for f in args.table:
            rows.update({r["repo"]: Row(**{**r, "lookup_in_run_s": _total(r["lookup_in_run_s"])})
                         for r in json.loads(Path(f).read_text())})
        Console(width=200).print(table(list(rows.values())))
        return 0
    from dsfix.envs.docker_env import docker_client
    client = args.client = docker_client(timeout=600)
    signal.signal(signal.SIGTERM, _stop)
    want = {r.strip() for r in args.repos.split(",") if r.strip()}
    cases = [c for c in CASES if not want or c.repo in want]
    if want - {c.repo for c in cases}:
        raise SystemExit(f"no such case: {', '.join(sorted(want - {c.repo for c in cases}))}")
    Path(args.out).mkdir(parents=True, exist_ok=True)
    console, rows = Console(width=200), []
    for case in cases:
        console.print(f"[bold]{case.repo}[/] @ {case.fix[:10]}: {case.why}")
        rows.append(run_case(case, args, client))
        r = rows[-1]
        console.print(f"  env {_fmt(r.build_first_s)} (built={r.built}) / cached {_fmt(r.build_cached_s)}; "
                      f"{r.collected} tests {r.before} [{r.test_source}]; real {r.real} {r.real_after}; "
                      f"no-op {r.noop}; leaked containers {r.leaked}" + "".join(f"\n  ! {n}" for n in r.notes))
        (Path(args.out) / "user_repos.json").write_text(json.dumps([asdict(x) for x in rows], indent=2))
    console.print(table(rows))
    bad = [r for r in rows if r.real != "verified" or not r.collected or r.noop in ("", "verified") or r.leaked]
    for r in bad:
        console.print(f"[red]target missed[/] {r.repo}: real={r.real} tests={r.collected} noop={r.noop} "
                      f"leaked={r.leaked} {' | '.join(r.notes)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
