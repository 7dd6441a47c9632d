"""Time `dsfix fix` spends outside the model, per step kind, on the example repository.

Drives the loop with the *scripted model* (a replay of examples/inventory.replay.json: no real model)
so only dsfix's own work is measured. Docker beside the local environment in the same run.
Usage: python bench/spine.py [--runs N]
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from dsfix.agent.config import load_settings
from dsfix.agent.run import FixRequest, run_fix

ROOT = Path(__file__).resolve().parents[1]
KINDS = ["image", "container_start", "copy", "exec", "test_run"]


def make_repo(dst: Path) -> Path:
    shutil.copytree(ROOT / "examples/inventory", dst)
    for cmd in (["init", "-q"], ["add", "-A"], ["-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "x"]):
        subprocess.run(["git", *cmd], cwd=dst, check=True)
    return dst


def one_run(kind: str, tmp: Path) -> dict:
    repo = make_repo(tmp / "repo")
    cfg = load_settings(None, overrides={"model": {"name": f"scripted/{ROOT / 'examples/inventory.replay.json'}"},
                                         "env": {"kind": kind}}, environ={})
    # The scripted model keeps its position per process: give each run its own copy of the script.
    script = tmp / "replay.json"
    shutil.copy(ROOT / "examples/inventory.replay.json", script)
    cfg.model.name = f"scripted/{script}"
    t0 = time.monotonic()
    code, rep = run_fix(FixRequest(repo, (repo / "ISSUE.md").read_text(), tmp / "out", cfg))
    assert code == 0, rep["status"]
    env = rep["timings"]["environment"]
    row = {k: env.get(k, {}).get("total", 0.0) for k in KINDS}
    row["exec_count"] = env.get("exec", {}).get("count", 0)
    row["model"] = rep["timings"]["model_seconds"]
    row["total"] = time.monotonic() - t0
    return row


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    results: dict[str, list[dict]] = {}
    for kind in ("docker", "local"):
        results[kind] = []
        for _ in range(args.runs):
            with tempfile.TemporaryDirectory() as d:
                results[kind].append(one_run(kind, Path(d)))
    t = Table(title=f"seconds per fix run outside the model (median of {args.runs}; scripted model, example repo)")
    t.add_column("env")
    for k in [*KINDS, "exec_count", "model", "total"]:
        t.add_column(k, justify="right")
    for kind, rows in results.items():
        t.add_row(kind, *(f"{statistics.median(r[k] for r in rows):.3f}" for k in [*KINDS, "exec_count", "model", "total"]))
    Console(width=150).print(t)


if __name__ == "__main__":
    main()
