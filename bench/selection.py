"""Does dsfix's candidate selection pick a right patch? Measured without a real model.

Not run in CI. For each SWE-bench Lite tune instance: a pool of the gold patch and realistic wrong
ones (bench/selection_pool.py), each graded officially (``dsfix eval``'s fresh container, FAIL_TO_PASS
/ PASS_TO_PASS) and each judged by dsfix's own Verifier in one container from the instance image:
the repository at base_commit with the instance's test_patch applied, its test files the related
tests (the baseline before any patch; a regression = one that passed before), and a stand-in
reproduction that runs the FAIL_TO_PASS tests. Then many shuffled pools (random subsets, random
vote counts as repeated samples give) go through ``agent.candidates.choose``, beside two
baselines on the same pools: the first candidate that applies, and the majority vote.

    python bench/selection.py --instances sympy__sympy-20590,pylint-dev__pylint-7993
    python bench/selection.py --repos psf/requests,pallets/flask --trials 300

Grades and checks are cached in --output (select-cache.json): a rerun only redraws the pools.
"""
from __future__ import annotations

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)   # this file is named like the stdlib's select module:
sys.path[:] = [p for p in sys.path if str(Path(p or ".").resolve()) != _HERE] + [_HERE]   # stdlib first

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from types import SimpleNamespace as NS  # noqa: E402

from selection_pool import KINDS, make_pool  # noqa: E402

DATA = Path("/work/shared/data/swebench-lite/test-tune.jsonl")
DEFAULT = ("sympy__sympy-20590,sympy__sympy-20212,sympy__sympy-20154,pylint-dev__pylint-7993,"
           "pylint-dev__pylint-7228,psf__requests-3362,pallets__flask-4992,pallets__flask-5063,"
           "pytest-dev__pytest-7168,pytest-dev__pytest-7432")


def repro_script(inst: dict, spec) -> str:
    """The stand-in reproduction: the FAIL_TO_PASS tests, exit 0 only when they all pass."""
    f2p = inst["FAIL_TO_PASS"]
    if inst["repo"] == "sympy/sympy":
        files = [f for f in re.findall(r"^diff --git a/\S+ b/(\S+)", inst["test_patch"], re.M) if f.endswith(".py")]
        return ("import sys\nfrom sympy.testing.runtests import test\n"
                f"sys.exit(0 if test(*{files!r}, kw={tuple(f2p)!r}) else 1)\n")
    return f"import sys, pytest\nsys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', *{f2p!r}]))\n"


def checkout(inst: dict, dest: Path, mirrors: Path, test_patch: bool = True):
    """The repository at base_commit, with the test_patch applied (uncommitted: the snapshot)."""
    from dsfix.agent.batch.worker import checkout as clone
    clone(inst["repo"], inst["base_commit"], dest, str(mirrors))
    if test_patch:
        subprocess.run(["git", "apply", "-"], cwd=dest, input=inst["test_patch"], text=True, check=True)
    from dsfix.envs.workspace import Workspace
    return Workspace(dest)


def build_pool(inst: dict, ws) -> dict[str, str]:
    from dsfix.tools.diff import apply_diff
    snap = ws.snapshot()
    fixed = apply_diff(inst["patch"], snap.read_text).changes
    return make_pool(inst["patch"], snap.read_text, lambda p: fixed.get(p, snap.read_text(p)), inst["test_patch"])


def grade_all(inst: dict, pool: dict[str, str], out: Path, client, sources) -> dict[str, dict]:
    from dsfix.envs.evaluate import evaluate_instance
    labels = {}
    for kind, patch in pool.items():
        r = evaluate_instance(inst, patch, client=client, sources=sources, log_dir=out / "grade" / inst["instance_id"] / kind)
        ts = r.get("tests_status") or {}
        labels[kind] = {"status": r["status"], "error": r.get("error_kind"),
                        "f2p_fail": len(ts.get("FAIL_TO_PASS", {}).get("failure", [])),
                        "p2p_fail": len(ts.get("PASS_TO_PASS", {}).get("failure", []))}
        print(f"  graded {kind}: {r['status']} {r.get('error_kind') or ''}", flush=True)
    return labels


# What the verifier has to go on: "repro" the test_patch and a reproduction of its FAIL_TO_PASS
# tests; "tests" the test_patch only (a model's reproduction was dropped); "none" neither (the
# repository's own related tests, none of which fails before: nothing can prove a fix).
MODES = ("repro", "tests", "none")


def verify_all(inst: dict, pool: dict[str, str], ws, image: str, spec, mode: str) -> dict:
    """Each candidate through dsfix's Verifier, as attempt_candidates judges one."""
    from dsfix.agent.edit import apply_edit
    from dsfix.agent.testplan import TestPlan
    from dsfix.agent.verifier import Verifier
    from dsfix.envs.docker_env import DockerEnvironment
    from dsfix.envs.evaluate.run import patch_test_files
    plan = TestPlan(spec.test_cmd, spec.parser, "bench: the test_patch's files", files_arg=spec.test_files_arg,
                    scope="related", files=patch_test_files(inst["test_patch"]))
    env = DockerEnvironment(ws, image, pull=False, workdir="/testbed", exec_timeout=900,
                            drop=spec.network == "drop", services=list(spec.services) or None)
    try:
        v = Verifier(env, plan, ws.root, lambda cmd, kind: env.execute(cmd))
        before = v.baseline()
        res = {"baseline_tests": len(before.statuses) if before else 0, "repro_accepted": False,
               "repro_exit": None, "repro_own": None, "checks": {}}
        if mode == "repro":
            rc = v.try_repro(repro_script(inst, spec), inst["problem_statement"])
            res.update(repro_accepted=rc.accepted, repro_exit=rc.exit_code, repro_own=rc.own)
        for kind, patch in pool.items():
            env.reset()
            a = apply_edit(env, patch, "udiff", ws.check_path, ws.snapshot())
            row = {"applied": a.ok, "patch": a.patch, "feedback": a.feedback[:200]}
            if a.ok:
                c = v.check(a.files, a.syntax)
                row.update(status=c.status.value if c.status else None, syntax=a.syntax,
                           repro_exit=c.repro.exit_code if c.repro is not None else None,
                           regressions=c.verdict.regressions if c.verdict else [],
                           fixed=c.verdict.fixed if c.verdict else [], message=c.message)
            res["checks"][kind] = row
            print(f"  checked {kind}: applied={a.ok} status={row.get('status')} "
                  f"fixed={len(row.get('fixed', []))} regressions={len(row.get('regressions', []))}", flush=True)
        return res
    finally:
        env.close()


def one_instance(inst: dict, entry: dict, modes: list[str], out: Path, mirrors: Path, client, sources) -> dict:
    """The instance's pool, grades and checks in ``modes``; what ``entry`` (the cache) has is kept."""
    from dsfix.envs.evaluate.run import spec_for
    from dsfix.envs.layers import build
    spec = spec_for(inst)
    if "pool" in entry and not set(modes) - set(entry.get("modes", {})):
        return entry   # all cached: no image needed
    image = build(client, inst["repo"], spec, inst["environment_setup_commit"], inst["base_commit"], sources=sources).tag
    with tempfile.TemporaryDirectory(prefix="dsfix-select-") as tmp:
        if "pool" not in entry:
            entry["pool"] = build_pool(inst, checkout(inst, Path(tmp) / "pool", mirrors))
            print(f"{inst['instance_id']}: {', '.join(entry['pool'])} (image {image})", flush=True)
            entry["labels"] = grade_all(inst, entry["pool"], out, client, sources)
        for mode in modes:
            if mode not in entry.setdefault("modes", {}):
                t0 = time.monotonic()
                print(f"{inst['instance_id']}: verifier, evidence {mode}", flush=True)
                ws = checkout(inst, Path(tmp) / mode, mirrors, test_patch=mode != "none")
                entry["modes"][mode] = verify_all(inst, entry["pool"], ws, image, spec, mode)
                entry["modes"][mode]["seconds"] = round(time.monotonic() - t0, 1)
    return entry


# -- the selection, replayed over shuffled pools ------------------------------------------------
def candidate(i: int, row: dict, votes: int):
    """A Candidate as attempt_candidates leaves it, from a cached check."""
    from dsfix.agent.candidates import Candidate
    from dsfix.agent.status import Status
    applied = NS(ok=row["applied"], patch=row["patch"], feedback=row["feedback"])
    check = None
    if row["applied"]:
        check = NS(status=Status(row["status"]) if row["status"] else None,
                   repro=None if row["repro_exit"] is None else NS(exit_code=row["repro_exit"]),
                   verdict=NS(regressions=row["regressions"], fixed=row["fixed"]))
    return Candidate(i, "", applied=applied, check=check, votes=votes)


def pick_dsfix(cands):
    from dsfix.agent.candidates import choose
    return choose(cands)


def pick_first(cands):
    return next((c for c in cands if c.applied.ok), None)


def pick_majority(cands):
    ok = [c for c in cands if c.applied.ok]
    return max(ok, key=lambda c: (c.votes, -c.index)) if ok else None


PICKERS = {"dsfix choose": pick_dsfix, "first that applies": pick_first, "majority vote": pick_majority}


def trials(results: dict, mode: str, n: int, seed: int) -> list[dict]:
    """Pools drawn per instance: with or without the gold, 1-4 wrong kinds, 1-3 votes each, shuffled."""
    rng = random.Random(seed)
    rows = []
    for iid, r in results.items():
        right = {k for k, lab in r["labels"].items() if lab["status"] == "resolved"}
        wrong = [k for k in r["pool"] if k not in right and r["labels"][k]["status"] == "unresolved"]
        if "gold" not in right or not wrong:
            continue   # a gold that does not resolve here measures nothing
        for t in range(n):
            kinds = rng.sample(wrong, rng.randint(1, min(4, len(wrong))))
            if t % 2 == 0:
                kinds.append("gold")
            rng.shuffle(kinds)
            votes = {k: rng.randint(1, 3) for k in kinds}
            cands = [candidate(i, r["modes"][mode]["checks"][k], votes[k]) for i, k in enumerate(kinds)]
            row = {"iid": iid, "gold_in": "gold" in kinds, "right_in": bool(set(kinds) & right)}
            for name, pick in PICKERS.items():
                best = pick(cands)
                row[name] = kinds[best.index] if best is not None else None
                row[name + ":status"] = best.check.status.value if best and best.check and best.check.status else None
            row["_right"] = right
            rows.append(row)
    return rows


def table(rows: list[dict], results: dict, mode: str) -> None:
    from rich.console import Console
    from rich.table import Table
    con = Console(width=220)
    t = Table(title=f"evidence '{mode}': candidate selection over {len(rows)} shuffled pools "
                    f"({len({r['iid'] for r in rows})} instances); wrong picks by kind on the right")
    for col in ("selector", "right pick, gold in pool", "wrong pick while right in pool",
                "no right in pool: wrong pick verified / unverified", *[k for k in KINDS if k != "gold"]):
        t.add_column(col)
    for name in PICKERS:
        with_gold = [r for r in rows if r["gold_in"]]
        ok = sum(r[name] in r["_right"] for r in with_gold)
        bad = [r for r in rows if r["right_in"] and r[name] not in r["_right"]]
        none_right = [r for r in rows if not r["right_in"]]
        ver = sum(r[name + ":status"] == "verified" for r in none_right)
        unv = sum(r[name + ":status"] == "unverified" for r in none_right)
        per = Counter(r[name] for r in bad)
        t.add_row(name, f"{ok}/{len(with_gold)} ({100 * ok / max(1, len(with_gold)):.1f}%)", str(len(bad)),
                  f"{ver} / {unv} of {len(none_right)}", *[str(per.get(k, 0)) for k in KINDS if k != "gold"])
    con.print(t)
    per = Table(title=f"evidence '{mode}', each candidate: official grade / dsfix's verifier (status; fixed, regressions)")
    per.add_column("instance")
    per.add_column("repro")
    for k in KINDS:
        per.add_column(k)
    for iid, r in results.items():
        cells = []
        for k in KINDS:
            if k not in r["pool"]:
                cells.append("-")
                continue
            c, lab = r["modes"][mode]["checks"][k], r["labels"][k]
            v = (f"{c['status'] or 'rejected'}; {len(c['fixed'])}f {len(c['regressions'])}r"
                 if c["applied"] else "did not apply")
            cells.append(f"{lab['status'][:5]} / {v}")
        m = r["modes"][mode]
        repro = "kept" if m["repro_accepted"] else ("-" if mode != "repro" else f"dropped ({m['repro_own'] or m['repro_exit']})")
        per.add_row(iid, repro, *cells)
    con.print(per)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instances", default=DEFAULT, help="comma-separated tune instance ids")
    ap.add_argument("--repos", default="", help="every tune instance of these repos (overrides --instances)")
    ap.add_argument("--trials", type=int, default=200, help="shuffled pools per instance")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--evidence", default="repro,tests,none", help=f"verifier modes, of {', '.join(MODES)}")
    ap.add_argument("--mirror-root", default="/work/.mirror")
    ap.add_argument("--output", default="/tmp/dsfix-select")
    a = ap.parse_args()
    from dsfix.envs.docker_env import docker_client
    from dsfix.envs.evaluate import load_dataset
    from dsfix.envs.sources import Sources
    sys.path.insert(0, _HERE)
    from verify import link_mirrors
    out = Path(a.output)
    out.mkdir(parents=True, exist_ok=True)
    mirrors = link_mirrors(Path(a.mirror_root), out / "mirrors")
    sources = Sources(mirrors, online=False)
    rows = load_dataset(str(DATA))
    wanted = set(a.repos.split(",")) if a.repos else set(a.instances.split(","))
    rows = [r for r in rows if (r["repo"] if a.repos else r["instance_id"]) in wanted]
    if not rows:
        print(f"no tune instance matches {sorted(wanted)}", file=sys.stderr)
        return 2
    cache_path = out / "select-cache.json"
    modes = a.evidence.split(",")
    if set(modes) - set(MODES):
        print(f"--evidence: one or more of {', '.join(MODES)}, not {a.evidence}", file=sys.stderr)
        return 2
    cache = json.loads(cache_path.read_text()) if cache_path.exists() else {}
    client = docker_client(timeout=1800)
    for inst in rows:
        entry = cache.setdefault(inst["instance_id"], {})
        if "checks" in entry:   # a cache from before the evidence modes: its checks were "repro"
            entry["modes"] = {"repro": {k: entry.pop(k) for k in
                                        ("baseline_tests", "repro_accepted", "repro_exit", "repro_own", "checks")}}
        try:
            one_instance(inst, entry, modes, out, mirrors, client, sources)
        except Exception as e:  # noqa: BLE001 - one instance's trouble must not lose the others
            print(f"{inst['instance_id']}: skipped, {type(e).__name__}: {str(e)[:300]}", flush=True)
        cache_path.write_text(json.dumps(cache, indent=1))
    for mode in modes:
        results = {r["instance_id"]: cache[r["instance_id"]] for r in rows
                   if mode in cache.get(r["instance_id"], {}).get("modes", {})}
        table(trials(results, mode, a.trials, a.seed), results, mode)
    return 0


if __name__ == "__main__":
    sys.exit(main())
