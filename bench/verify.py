"""Does `dsfix eval` verify SWE-bench instances? gold must resolve, empty and a wrong patch must not.

Not run in CI. For each instance: gold (first run: builds the layers, timed), gold again (cached
layers, timed), empty (tests run with no patch, ``run_empty``), and a deliberately wrong patch (a
comment appended to the file the gold patch changes: it applies, fixes nothing). Prints a table, the
instances that do not verify and why, and disk use per layer; writes ``verify.json`` to --output.

    python bench/verify.py --repos pallets/flask,psf/requests
    python bench/verify.py --repos pytest-dev/pytest --limit 3 --workers 2

Mirrors: /work/.mirror/OWNER+REPO/repo (as brought by `fetch`) are linked into a mirrors dir.
"""
from __future__ import annotations

import argparse
import difflib
import json
import re
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dsfix.envs.docker_env import docker_client
from dsfix.envs.evaluate import evaluate_instance, load_dataset
from dsfix.envs.layers import list_images
from dsfix.envs.sources import Sources

DATA = [Path("/work/shared/data/swebench-lite/dev.jsonl"), Path("/work/shared/data/swebench-lite/test-tune.jsonl")]
DEFAULT_REPOS = "pallets/flask,psf/requests"


def link_mirrors(src: Path, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for d in sorted(src.glob("*+*")):
        git_dir = d / "repo" if (d / "repo").is_dir() else d
        link = dest / (d.name.replace("+", "__", 1) + ".git")
        if not link.exists():
            link.symlink_to(git_dir)
    return dest


def wrong_patch(inst: dict, sources: Sources) -> str:
    """Append a comment to the first file the gold patch changes: applies, fixes nothing."""
    path = re.search(r"^diff --git a/(\S+) b/", inst["patch"], flags=re.M).group(1)
    gd = sources.git_dir(inst["repo"])
    old = subprocess.run(["git", "show", f"{inst['base_commit']}:{path}"], cwd=gd, capture_output=True,
                         text=True, check=True).stdout
    new = old + ("" if old.endswith("\n") else "\n") + "# dsfix bench: a deliberately wrong patch\n"
    body = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))
    return f"diff --git a/{path} b/{path}\n{body}"


NETWORK = ("name resolution", "Network is unreachable", "gaierror", "NewConnectionError")


def why(r: dict) -> str:
    if r["status"] == "error":
        return f"{r['error_kind']}: {(r['error'] or '').strip().splitlines()[0][:160] if r['error'] else ''}"
    ts = r.get("tests_status") or {}
    f2p = ts.get("FAIL_TO_PASS", {}).get("failure", [])
    p2p = ts.get("PASS_TO_PASS", {}).get("failure", [])
    if not ts:
        return "tests did not run (no output markers)"
    net = ""
    out = Path(r.get("log_dir") or "/nonexistent") / "test_output.txt"
    if (f2p or p2p) and out.is_file() and any(sig in out.read_text(errors="replace") for sig in NETWORK):
        net = "tests need the network (no network in test runs); "
    return f"{net}F2P failing {len(f2p)} {f2p[:2]}; P2P failing {len(p2p)} {p2p[:3]}"


def _args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", default=DEFAULT_REPOS)
    ap.add_argument("--instances", default="", help="comma-separated instance ids (overrides --repos)")
    ap.add_argument("--limit", type=int, default=0, help="at most N instances per repo")
    ap.add_argument("--modes", default="gold,cached,empty,wrong")
    ap.add_argument("--mirror-root", default="/work/.mirror")
    ap.add_argument("--output", default="/tmp/dsfix-verify")
    ap.add_argument("--timeout", type=int, default=1800)
    ap.add_argument("--python-fallback", action="store_true")
    ap.add_argument("--workers", type=int, default=1)
    return ap.parse_args()


def _select(a: argparse.Namespace) -> list[dict]:
    rows = [r for f in DATA if f.exists() for r in load_dataset(str(f))]
    if a.instances:
        wanted = set(a.instances.split(","))
        return [r for r in rows if r["instance_id"] in wanted]
    repos = a.repos.split(",")
    rows = [r for r in rows if r["repo"] in repos]
    if a.limit:
        per: dict[str, int] = {}
        rows = [r for r in rows if per.setdefault(r["repo"], 0) < a.limit and not per.update({r["repo"]: per[r["repo"]] + 1})]
    return rows


def _expected(mode: str) -> str:
    return "resolved" if mode in ("gold", "cached") else "unresolved"


def _run_modes(inst: dict, modes: list[str], out: Path, console: Console, **kw) -> dict:
    """One instance under each mode (gold, cached, empty, wrong), printing a line per run."""
    iid = inst["instance_id"]
    res: dict = {"repo": inst["repo"], "version": inst["version"]}
    for mode in modes:
        if mode in ("gold", "cached"):
            patch = inst["patch"]
        elif mode == "empty":
            patch = ""
        else:
            try:
                patch = wrong_patch(inst, kw["sources"])
            except Exception as e:  # noqa: BLE001
                res[mode] = {"status": "error", "error_kind": "bench", "error": str(e), "seconds": {}}
                continue
        t0 = time.monotonic()
        r = evaluate_instance(inst, patch, log_dir=out / "logs" / mode / iid, run_empty=True, **kw)
        r["wall"] = round(time.monotonic() - t0, 1)
        r["log_dir"] = str(out / "logs" / mode / iid)
        res[mode] = r
        console.print(f"{iid} {mode}: {r['status']} ({r['wall']}s, built {r.get('built') or '-'})"
                      + (f" -- {why(r)}" if r["status"] != _expected(mode) else ""))
        if mode == "gold" and r["status"] == "error" and r["error_kind"] in ("image", "source", "spec", "python", "disk"):
            break   # nothing else can run without the image
    return res


def _table(results: dict[str, dict], images: dict[str, dict], modes: list[str]) -> tuple[Table, list]:
    """The verification table; marks each result verified (or not) and records its disk use."""
    t = Table(title="dsfix eval verification (SWE-bench Lite, offline mirrors)")
    for col in ("instance", "py", "gold", "gold cached", "empty", "wrong", "first s", "cached s", "env MiB", "inst MiB", "verified"):
        t.add_column(col)
    bad = []
    for iid, res in results.items():
        g = res.get("gold", {})
        img = images.get(g.get("image") or "", {})
        env = images.get(img.get("parent", ""), {})
        ok = (g.get("status") == "resolved" and res.get("cached", g).get("status") == "resolved"
              and res.get("empty", {}).get("status", "unresolved") == "unresolved"
              and res.get("wrong", {}).get("status", "unresolved") == "unresolved")
        res["verified"] = ok
        res["disk"] = {"env": env.get("own"), "instance": img.get("own"), "base_parent": env.get("parent")}
        if not ok:
            bad.append((iid, "; ".join(f"{m}={res[m]['status']} ({why(res[m])})" for m in modes
                                       if m in res and res[m]["status"] != _expected(m))))
        mib = lambda n: f"{n / 2**20:.0f}" if n else "-"  # noqa: E731
        t.add_row(iid, g.get("python", "") or "", *(res.get(m, {}).get("status", "-") for m in ("gold", "cached", "empty", "wrong")),
                  f"{g.get('wall', 0):.0f}", f"{res.get('cached', {}).get('wall', 0):.0f}",
                  mib(env.get("own")), mib(img.get("own")), "yes" if ok else "NO")
    return t, bad


def main() -> int:
    a = _args()
    out = Path(a.output)
    out.mkdir(parents=True, exist_ok=True)
    sources = Sources(link_mirrors(Path(a.mirror_root), out / "mirrors"), online=False)
    rows = _select(a)
    modes = a.modes.split(",")
    import signal

    from dsfix.envs.evaluate.run import remove_live_containers

    def _term(signum, frame):   # leave no container behind
        remove_live_containers()
        raise SystemExit(130)
    signal.signal(signal.SIGTERM, _term)
    client = docker_client(timeout=900)
    console = Console(width=240)
    kw = dict(client=client, sources=sources, timeout=a.timeout, python_fallback=a.python_fallback)

    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=a.workers) as pool:
        results = {inst["instance_id"]: res
                   for inst, res in zip(rows, pool.map(lambda inst: _run_modes(inst, modes, out, console, **kw), rows))}

    images = {i["tag"]: i for i in list_images(client)}
    t, bad = _table(results, images, modes)
    console.print(t)
    for iid, reason in bad:
        console.print(f"[red]not verified[/] {iid}: {reason}", markup=True, highlight=False)
    by_layer: dict[str, int] = {}
    for i in images.values():
        by_layer[i["layer"]] = by_layer.get(i["layer"], 0) + i["own"]
    console.print("disk per layer (all dsfix images): " + ", ".join(f"{k} {v / 2**30:.2f} GiB" for k, v in by_layer.items()))
    slim = {iid: {k: ({kk: vv for kk, vv in v.items() if kk in ("status", "error_kind", "error", "seconds", "built", "wall", "image", "python")}
                      if isinstance(v, dict) and "status" in v else v) for k, v in res.items()} for iid, res in results.items()}
    (out / "verify.json").write_text(json.dumps(slim, indent=2, default=str))
    console.print(f"{sum(r['verified'] for r in results.values())}/{len(results)} verified; details in {out / 'verify.json'}")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
