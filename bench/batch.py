"""dsfix's own overhead per instance in a batch run (no model time), 1 and 2 workers, local vs Ray.

The model is the *scripted model* replaying a fixed answer list per instance (not a real model), so
what is measured is dsfix: checkout from a mirror, localization, container start, copy, tests, bookkeeping.
Usage: python bench/batch.py [--instances N] [--skip-ray]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from batchfix import dataset, good, mirror  # noqa: E402  (fixture builders shared with the tests)

DSFIX = str(Path(sys.executable).parent / "dsfix")


def one(tmp: Path, n: int, workers: int, executor: str) -> dict:
    mirrors, commit = mirror(tmp)
    ds = dataset(tmp, {f"inv-{i}": good() for i in range(n)}, commit)
    out = tmp / "out"
    cmd = [DSFIX, "bench", "--dataset", str(ds), "--model", f"scripted/{tmp}/scripts/{{instance_id}}.json",
           "--mirrors", str(mirrors), "--output", str(out), "--workers", str(workers), "--executor", executor]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if r.returncode != 0:
        raise SystemExit(f"bench run failed: {r.stderr[-2000:]}")
    reports = [json.loads(p.read_text()) for p in (out / "instances").glob("*/report.json")]
    model_s = sum(rep["timings"]["model_seconds"] for rep in reports)
    per_inst = [rep["timings"]["total_seconds"] - rep["timings"]["model_seconds"] for rep in reports]
    sources = [rep["timings"]["environment"].get("image_source") for rep in reports]
    return {"wall": wall, "per_instance": statistics.median(per_inst), "model": model_s,
            "throughput": n / wall * 60, "image_hits": sources.count("present"), "images_built": sources.count("built"),
            "containers": sum(rep["timings"]["environment"].get("container_start", {}).get("count", 0) for rep in reports),
            "verified": sum(rep["verified"] for rep in reports), "n": n}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=6)
    ap.add_argument("--skip-ray", action="store_true")
    args = ap.parse_args()
    rows = []
    for executor in ("local", *(() if args.skip_ray else ("ray",))):
        for workers in (1, 2):
            with tempfile.TemporaryDirectory() as d:
                rows.append((executor, workers, one(Path(d), args.instances, workers, executor)))
    t = Table(title=f"dsfix bench overhead, {args.instances} instances of the example repo (scripted model)")
    for col in ("executor", "workers", "wall s", "instances/min", "median s/instance outside model",
                "model s (all)", "verified", "image cache hits", "images built", "containers"):
        t.add_column(col, justify="right")
    for ex, w, r in rows:
        t.add_row(ex, str(w), f"{r['wall']:.1f}", f"{r['throughput']:.1f}", f"{r['per_instance']:.2f}",
                  f"{r['model']:.2f}", f"{r['verified']}/{r['n']}", str(r["image_hits"]), str(r["images_built"]),
                  str(r["containers"]))
    Console(width=160).print(t)


if __name__ == "__main__":
    main()
