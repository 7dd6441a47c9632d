"""dsfix's own seconds per SWE-bench instance, phase by phase, for two (or more) dsfix revisions in
the same run (issue #19's benchmark).

The model is the *scripted model* (not a real model): per instance it replays a reproduction built
from the instance's test_patch (apply it, run the FAIL_TO_PASS tests, take it back off) and then the
gold patch, so nearly all the time measured is dsfix's: checkout, image, container, test runs,
bookkeeping. Images are built (or found) once before any revision runs, so every revision meets
cached images. Instances come only from the tune split (test-tune.jsonl).

    python bench/overhead.py --instances psf__requests-3362,sympy__sympy-20590 --revs main=main,new=WORKTREE
    python bench/overhead.py --repos psf/requests,pallets/flask --per-repo 1 --revs main=main

``--revs NAME=REV``: REV is a git revision of this repository (its tree is exported with
``git archive`` and run from a namespace shim on PYTHONPATH: exactly that revision's code, this
venv's dependencies) or ``WORKTREE`` (the code installed in this venv). Phases are read from what
every revision writes (results.jsonl, report.json, trajectory.jsonl), so an older revision is
measured the same way: ``prep`` is checkout plus layer lookup (the row's seconds minus the run's),
``localize`` the ranking before any model call (the trajectory's first events), ``container``
container start and copy-in (older revisions count their setup commands under ``tests``),
``baseline`` and ``verdict`` the first and the last test run (a baseline kept from an earlier run,
``tests.before.reused``, costs 0 here).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from verify import link_mirrors  # noqa: E402  (mirrors as brought by `fetch`)

TUNE = Path("/work/shared/data/swebench-lite/test-tune.jsonl")
# Light environments that build in minutes on 2 cores, one instance each (all in the tune split).
DEFAULT = ("pallets__flask-4992,psf__requests-3362,pytest-dev__pytest-7373,sympy__sympy-20590,"
           "pylint-dev__pylint-7993")
PHASES = ("prep", "image", "localize", "container", "baseline", "model", "tests", "verdict", "other")


# ------------------------------------------------------------------ instances and the scripted answers

def pick(rows: list[dict], ids: str, repos: str, per_repo: int) -> list[dict]:
    if ids:
        wanted = ids.split(",")
        by_id = {r["instance_id"]: r for r in rows}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            raise SystemExit(f"not in {TUNE.name}: {', '.join(missing)}")
        return [by_id[i] for i in wanted]
    out, seen = [], {}
    for r in rows:
        if r["repo"] in repos.split(",") and seen.get(r["repo"], 0) < per_repo:
            seen[r["repo"]] = seen.get(r["repo"], 0) + 1
            out.append(r)
    return out


REPRO = '''import subprocess, sys
PATCH = {patch!r}
CMDS = {cmds!r}
def git(*args):
    return subprocess.run(["git", *args], input=PATCH, text=True, capture_output=True).returncode
applied = git("apply", "-") == 0   # the tests that show the bug (the instance's test_patch)
try:
    codes = [subprocess.run(c, shell=True).returncode for c in CMDS]
finally:
    if applied:
        git("apply", "-R", "-")    # leave the tree as it was: the loop's own test runs see the original
sys.exit(1 if any(codes) else 0)
'''


def repro_commands(inst: dict) -> list[str]:
    """Shell commands running only the FAIL_TO_PASS tests (pytest ids; sympy: names, one run each)."""
    from dsfix.envs.evaluate.run import patch_test_files, spec_for
    f2p = json.loads(inst["FAIL_TO_PASS"]) if isinstance(inst["FAIL_TO_PASS"], str) else inst["FAIL_TO_PASS"]
    if spec_for(inst).parser == "sympy":
        files = " ".join(shlex.quote(f) for f in patch_test_files(inst["test_patch"]))
        return [f"python bin/test -C {files} -k {shlex.quote(name)}" for name in f2p]
    return ["python -m pytest -q -p no:cacheprovider " + " ".join(shlex.quote(t) for t in f2p)]


def write_scripts(rows: list[dict], out: Path) -> Path:
    """scripts/<id>.json: the reproduction, then the gold patch; dataset.jsonl: the rows."""
    (out / "scripts").mkdir(parents=True, exist_ok=True)
    for inst in rows:
        script = REPRO.format(patch=inst["test_patch"], cmds=repro_commands(inst))
        answers = [f"A script that shows the bug:\n\n```python\n{script}```",
                   f"The fix:\n\n```diff\n{inst['patch']}```"]
        (out / "scripts" / f"{inst['instance_id']}.json").write_text(json.dumps({"responses": answers}))
    ds = out / "dataset.jsonl"
    ds.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return ds


def warm_index(rows: list[dict], mirrors: Path, out: Path) -> None:
    """Localize each instance once (this code), so the shared index cache (keyed by commit and
    index version) is warm for every revision: the first to run would otherwise pay for all."""
    import shutil

    from dsfix.agent.batch.worker import checkout
    from dsfix.agent.context import build_context
    for inst in rows:
        dest = out / "warm" / inst["instance_id"]
        shutil.rmtree(dest, ignore_errors=True)
        checkout(inst["repo"], inst["base_commit"], dest, str(mirrors))
        build_context(dest, inst["problem_statement"], 12000)
        shutil.rmtree(dest, ignore_errors=True)


def warm_images(rows: list[dict], mirrors: Path, console: Console) -> dict[str, float]:
    """Build (or find) every instance's layered image, so no revision pays for a build (called
    before each revision: another session's `dsfix env prune` may have removed a layer)."""
    from dsfix.envs.docker_env import docker_client
    from dsfix.envs.evaluate.run import spec_for
    from dsfix.envs.layers import build
    from dsfix.envs.sources import Sources
    from dsfix.common.logs import captured
    client, took = docker_client(timeout=900), {}
    for inst in rows:
        t0, base = time.monotonic(), inst["base_commit"]
        with captured(lambda m: console.print(f"  {m}", highlight=False), logging.INFO):
            res = build(client, inst["repo"], spec_for(inst), inst.get("environment_setup_commit") or base, base,
                        sources=Sources(mirrors, online=False))
        took[inst["instance_id"]] = round(time.monotonic() - t0, 1)
        console.print(f"image {inst['instance_id']}: {'built ' + ','.join(res.built) if res.built else 'cached'} "
                      f"({took[inst['instance_id']]}s)", highlight=False)
    return took


# ------------------------------------------------------------------ revisions

def revision_env(name: str, rev: str, out: Path) -> dict[str, str]:
    """The environment under which `rev`'s code runs: WORKTREE is this venv's own install; a git
    revision is exported and put first on PYTHONPATH through a `dsfix` namespace of links."""
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "DSFIX_TAG": f"overhead-{name}"}
    if rev == "WORKTREE":
        return env
    tree = out / "revs" / name
    if not tree.is_dir():
        tree.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
        (tree / "_shim" / "dsfix").mkdir(parents=True)
        for pkg in packages_of(tree):
            (tree / "_shim" / "dsfix" / pkg).symlink_to(tree / pkg)
    env["PYTHONPATH"] = str(tree / "_shim")
    return env


def packages_of(tree: Path) -> list[str]:
    """The revision's own package list (pyproject's package-dir: "dsfix.<name>" = "<name>"), so a
    revision that added a package (common/) runs whole, not half from this venv's install."""
    text = (tree / "pyproject.toml").read_text()
    return re.findall(r'^"dsfix\.(\w+)"\s*=\s*"\1"', text, re.M)


def commit_of(rev: str) -> str:
    if rev == "WORKTREE":
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.strip()
        return head.stdout.strip() + ("+dirty" if dirty else "")
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True, text=True).stdout.strip()


def run_revision(name: str, rev: str, ds: Path, mirrors: Path, out: Path, workers: int) -> Path:
    res = out / f"bench-{name}"
    cmd = [sys.executable, "-c", "from dsfix.agent.cli import main; main()", "bench", "--dataset", str(ds),
           "--model", f"scripted/{out}/scripts/{{instance_id}}.json", "--mirrors", str(mirrors),
           "--output", str(res), "--workers", str(workers), "--max-steps", "4"]
    log = (out / f"bench-{name}.log").open("w")
    r = subprocess.run(cmd, env=revision_env(name, rev, out), stdout=log, stderr=subprocess.STDOUT)
    if not (res / "results.jsonl").is_file():
        raise SystemExit(f"revision {name} ({rev}) wrote no results (exit {r.returncode}); see {log.name}")
    return res


# ------------------------------------------------------------------ phases from what every revision writes

def _total(env: dict, *kinds: str) -> float:
    return sum(env[k]["total"] for k in kinds if isinstance(env.get(k), dict))


def _events(traj: Path) -> list[dict]:
    try:
        return [json.loads(line) for line in traj.read_text().splitlines() if line.strip()]
    except OSError:
        return []


def phases_of(row: dict, rep: dict | None, events: list[dict]) -> dict:
    """Seconds by phase of one instance, and its slowest test run against its timeout."""
    total = row.get("seconds") or 0.0
    if not rep:
        return {"phases": {**dict.fromkeys(PHASES, 0.0), "other": total}, "test_ratio": None}
    env, t = rep["timings"]["environment"], rep["timings"]
    before, after = rep["tests"].get("before") or {}, rep["tests"].get("after") or {}
    base, verdict = before.get("seconds") or 0.0, after.get("seconds") or 0.0
    if before.get("reused"):
        base = 0.0   # kept from an earlier run (agent/baseline_store): its seconds were spent there
    p = {"prep": max(0.0, total - t["total_seconds"]), "image": _total(env, "image", "image_build", "image_lookup"),
         "container": _total(env, "container_start", "copy", "setup"), "baseline": base,
         "model": t["model_seconds"], "verdict": verdict,
         "tests": max(0.0, _total(env, "exec") - _total(env, "setup") - base - verdict),
         "localize": _localize(events)}
    p["other"] = max(0.0, total - sum(p.values()))
    return {"phases": p, "test_ratio": _test_ratio(events)}


def _localize(events: list[dict]) -> float:
    """The ranking before any model call: the run's start to its first "localize" event."""
    start = next((e["t"] for e in events if e.get("type") == "run"), None)
    loc = next((e["t"] for e in events if e.get("type") == "localize"), None)
    return max(0.0, loc - start) if start is not None and loc is not None else 0.0


def _test_ratio(events: list[dict]) -> float | None:
    """The slowest test run's seconds over the limit it ran under (the run's env.exec_timeout)."""
    run = next((e for e in events if e.get("type") == "run"), None)
    limit = ((run or {}).get("settings") or {}).get("env", {}).get("exec_timeout")
    tests = [e["seconds"] for e in events if str(e.get("kind")).startswith("tests") and "seconds" in e]
    return round(max(tests) / limit, 3) if tests and limit else None


def collect(res: Path) -> list[dict]:
    preds = {json.loads(line)["instance_id"]: json.loads(line) for line in (res / "preds.jsonl").read_text().splitlines()
             if line.strip()} if (res / "preds.jsonl").is_file() else {}
    out = []
    for row in map(json.loads, (res / "results.jsonl").read_text().splitlines()):
        d = res / "instances" / row["instance_id"]
        rep = json.loads((d / "report.json").read_text()) if (d / "report.json").is_file() else None
        out.append({**row, **phases_of(row, rep, _events(d / "trajectory.jsonl")),
                    "patch": preds.get(row["instance_id"], {}).get("model_patch", ""),
                    "image": row.get("image_source") or (rep or {}).get("image_source")
                    or (rep or {}).get("timings", {}).get("environment", {}).get("image_source")})
    return out


# ------------------------------------------------------------------ the table

def outside(r: dict) -> float:
    return sum(r["phases"].values()) - r["phases"]["model"]


def table(results: dict[str, list[dict]], gold: dict[str, str], commits: dict[str, str]) -> Table:
    t = Table(title="dsfix seconds per instance by phase (scripted model replaying gold; cached images)")
    for col in ("instance", "rev", "status", "gold", "image", "total", *PHASES, "outside model", "test/timeout"):
        t.add_column(col, justify="left" if col in ("instance", "rev", "status", "gold", "image") else "right")
    for name, rows in results.items():
        for r in rows:
            same = "=" if _norm(r["patch"]) == _norm(gold[r["instance_id"]]) else "differs"
            t.add_row(r["instance_id"], name, str(r.get("status") or r["outcome"]), same, str(r["image"] or "-"),
                      f"{r.get('seconds', 0.0):.1f}", *(f"{r['phases'][k]:.1f}" for k in PHASES),
                      f"{outside(r):.1f}", f"{r['test_ratio']:.2f}" if r["test_ratio"] is not None else "-")
    for name, rows in results.items():
        mean = {k: statistics.mean(r["phases"][k] for r in rows) for k in PHASES}
        ratios = [r["test_ratio"] for r in rows if r["test_ratio"] is not None]
        t.add_row("[bold]mean[/]", f"{name} {commits[name]}", "", "", "",
                  f"{statistics.mean(r.get('seconds', 0.0) for r in rows):.1f}", *(f"{mean[k]:.1f}" for k in PHASES),
                  f"[bold]{statistics.mean(outside(r) for r in rows):.1f}[/]", f"max {max(ratios):.2f}" if ratios else "-")
    return t


def _norm(patch: str) -> str:
    """A patch's changed lines, so `git diff`'s index lines and context width do not count as a difference."""
    return "\n".join(line for line in (patch or "").splitlines()
                     if re.match(r"[+-](?![+-]{2} )", line))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", default=DEFAULT, help="comma-separated tune instance ids")
    ap.add_argument("--repos", default="", help="instead of --instances: these repos, --per-repo each")
    ap.add_argument("--per-repo", type=int, default=1)
    ap.add_argument("--revs", default="main=main", help="NAME=REV,...  (REV: a git revision, or WORKTREE)")
    ap.add_argument("--mirror-root", default="/work/.mirror")
    ap.add_argument("--output", default="/tmp/dsfix-overhead")
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    from dsfix.envs.evaluate import load_dataset
    rows = pick(load_dataset(str(TUNE)), "" if a.repos else a.instances, a.repos, a.per_repo)
    out = Path(a.output).resolve()
    out.mkdir(parents=True, exist_ok=True)
    console = Console(width=250)
    mirrors = link_mirrors(Path(a.mirror_root), out / "mirrors")
    ds = write_scripts(rows, out)
    warm_index(rows, mirrors, out)
    revs = dict(pair.split("=", 1) for pair in a.revs.split(","))
    results, commits = {}, {n: commit_of(r) for n, r in revs.items()}
    for name, rev in revs.items():
        warm_images(rows, mirrors, console)
        t0, load = time.monotonic(), os.getloadavg()[0]
        results[name] = collect(run_revision(name, rev, ds, mirrors, out, a.workers))
        console.print(f"revision {name} ({rev} {commits[name]}): {len(rows)} instances in {time.monotonic() - t0:.0f}s, "
                      f"load {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end ({os.cpu_count()} CPUs)",
                      highlight=False)
    console.print(table(results, {r["instance_id"]: r["patch"] for r in rows}, commits))
    (out / "overhead.json").write_text(json.dumps({"commits": commits, "results": results}, indent=2, default=str))
    console.print(f"details: {out / 'overhead.json'}; logs: {out}/bench-*.log")
    return 0


if __name__ == "__main__":
    sys.exit(main())
