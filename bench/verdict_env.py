"""What keeping the model's code away from a verdict costs, in seconds per check (issue #12).

Per repository (the inventory example and real ones brought by `fetch`), in one run, on the base
image, each measured ``--tries`` times:

* ``in place``: reuse the working container, as main does: ``git reset --hard && git clean -fdq``
  (what the pipeline runs before each attempt anyway), then write the patched file;
* ``non-root``: also give an unprivileged user the copy (``chown -R``), the price of running the
  reproduction and the tests as that user in the same container;
* ``fresh copy``: a new container (orphan sweep, create, start), the snapshot copied in, dsfix's
  baseline commit, the patched file written, the container removed (agent mode's fresh container);
* ``fork``: what the pipeline's verifier now does for a verdict: a container started from the
  pristine image (the working container committed once after setup; ``commit`` is that one-time
  price per run), the patched file written, the container removed.

    python bench/verdict_env.py --repos examples/inventory,pallets+click,sympy+sympy --tries 3
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
MIRRORS = Path("/work/.mirror")


def checkout(name: str, into: Path) -> Path:
    """A folder of this repository (examples/...) or a `fetch` mirror (owner+name), as a git repo."""
    dest = into / name.replace("/", "_")
    if (ROOT / name).is_dir():
        subprocess.run(["cp", "-r", str(ROOT / name), str(dest)], check=True)
        subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
        subprocess.run(["git", "add", "-A"], cwd=dest, check=True)
        subprocess.run(["git", "-c", "user.name=b", "-c", "user.email=b@b", "commit", "-qm", "x"], cwd=dest, check=True)
    else:
        subprocess.run(["git", "clone", "-q", str(MIRRORS / name / "repo"), str(dest)], check=True)
    return dest


def measure(repo: Path, tries: int, client) -> dict:
    from dsfix.envs.docker_env import DockerEnvironment
    from dsfix.envs.images import BASE_IMAGE
    from dsfix.envs.workspace import Workspace
    ws = Workspace(repo)
    path = next(p for p in ws.files() if p.endswith(".py"))
    text = (ws.snapshot().read_text(path) or "") + "\n# patched\n"
    out = {"files": len(ws.files()), "in place": [], "non-root": [], "fresh": [], "fork": []}
    with DockerEnvironment(ws, BASE_IMAGE, pull=False, client=client, pristine=True) as env:
        out["commit"] = env.timings.spent["pristine"]
        for _ in range(tries):
            t0 = time.monotonic()
            env.reset()
            env.write_file(path, text)
            out["in place"].append(time.monotonic() - t0)
            t0 = time.monotonic()
            env.execute("chown -R 1000:1000 .")
            out["non-root"].append(out["in place"][-1] + time.monotonic() - t0)
            t0 = time.monotonic()
            with env.fork() as fork:
                fork.write_file(path, text)
            out["fork"].append(time.monotonic() - t0)
    for _ in range(tries):
        t0 = time.monotonic()
        fresh = DockerEnvironment(ws, BASE_IMAGE, pull=False, client=client)
        fresh.write_file(path, text)
        fresh.close()
        out["fresh"].append(time.monotonic() - t0)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repos", default="examples/inventory,pallets+click,sympy+sympy")
    ap.add_argument("--tries", type=int, default=3)
    args = ap.parse_args()
    from dsfix.envs.docker_env import docker_client
    client = docker_client()
    table = Table(title=f"seconds per verdict check (median of {args.tries})")
    for col in ("repository", "files", "in place (main)", "non-root, same container", "fresh copy",
                "fork (now)", "commit, once per run"):
        table.add_column(col)
    with tempfile.TemporaryDirectory(prefix="dsfix-bench-verdict-") as tmp:
        for name in args.repos.split(","):
            r = measure(checkout(name, Path(tmp)), args.tries, client)
            table.add_row(name, str(r["files"]), *(f"{statistics.median(r[k]):.2f}" for k in
                                                   ("in place", "non-root", "fresh", "fork", "commit")))
    Console().print(table)


if __name__ == "__main__":
    sys.exit(main())
