"""Fixture instances for batch tests: a local mirror of the example repo and a dataset pointing at it.

Each instance's answers come from the *scripted model* (a replay file per instance, not a real model).
"""
from __future__ import annotations

import json
from pathlib import Path

from conftest import EXAMPLE, REPLAY, git, make_repo

REPRO = "```python\nfrom inventory.batching import batches\nassert batches([1, 2, 3], 2) == [[1, 2], [3]]\n```"
BAD_DIFF = "```diff\n--- a/inventory/batching.py\n+++ b/inventory/batching.py\n@@ -1 +1 @@\n-def nothing():\n+def x():\n```"


def mirror(tmp: Path) -> tuple[Path, str]:
    """A mirrors dir holding local__inventory.git; returns (dir, base commit)."""
    work = make_repo(tmp / "work", EXAMPLE)
    mirrors = tmp / "mirrors"
    mirrors.mkdir()
    git(tmp, "clone", "-q", "--bare", str(work), str(mirrors / "local__inventory.git"))
    return mirrors, git(work, "rev-parse", "HEAD").strip()


def dataset(tmp: Path, instances: dict[str, list], commit: str, bad_commit: set[str] = frozenset(),
            usage: dict | None = None) -> Path:
    """instances: id -> scripted answers. Writes scripts/<id>.json and dataset.jsonl."""
    scripts = tmp / "scripts"
    scripts.mkdir(exist_ok=True)
    rows = []
    for iid, answers in instances.items():
        if usage:
            answers = [{"content": a, "usage": usage} if isinstance(a, str) else a for a in answers]
        (scripts / f"{iid}.json").write_text(json.dumps({"responses": answers, "then": "repeat"}))
        rows.append({"instance_id": iid, "repo": "local/inventory",
                     "base_commit": "0" * 40 if iid in bad_commit else commit,
                     "problem_statement": (EXAMPLE / "ISSUE.md").read_text(), "version": "0.1"})
    path = tmp / "dataset.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def good() -> list:
    return json.loads(REPLAY.read_text())["responses"]


def read_preds(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
