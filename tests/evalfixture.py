"""A tiny SWE-bench-style task (bare repo + dataset JSONL) for smoke tests of ``dsfix eval`` (test
scaffolding: under tests/, so no wheel ships it).

``make_fixture(dir)`` writes ``dir/mirrors/local__calc.git`` (two commits: the environment setup
commit, then the base commit that brings a bug in ``add``) and ``dir/dataset.jsonl`` with:

* ``local__calc-1``: the bug, its test patch and gold patch; F2P ``test_add``, P2P ``test_mul``;
* ``local__calc-broken-env``: same task, but its spec's install step fails (an image that cannot
  be built: must come out in ``error_ids``).

The spec installs nothing, so its images are built with no network (the base carries pytest).
"""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

FIXTURE_SPEC = {"python": "3.11", "install": [], "test_cmd": "python -m pytest -rA -p no:cacheprovider",
                "parser": "pytest"}
TEST_PATCH = """diff --git a/tests/test_calc.py b/tests/test_calc.py
--- a/tests/test_calc.py
+++ b/tests/test_calc.py
@@ -4,3 +4,7 @@ from calc import add, mul
 
 def test_mul():
     assert mul(3, 4) == 12
+
+
+def test_add():
+    assert add(2, 3) == 5
"""
GOLD_PATCH = """diff --git a/calc.py b/calc.py
--- a/calc.py
+++ b/calc.py
@@ -1,5 +1,5 @@
 def add(a, b):
-    return a - b
+    return a + b
 
 
 def mul(a, b):
"""


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", "-c", "commit.gpgsign=false",
                           *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def make_fixture(root: Path, repo: str = "local/calc") -> dict:
    """Write the fixture under ``root``; ``repo`` names it (tests pick a unique one per session)."""
    root = Path(root)
    work = root / "work"
    (work / "tests").mkdir(parents=True)
    _git(work, "init", "-q")
    (work / "calc.py").write_text("def mul(a, b):\n    return a * b\n")
    (work / "tests/test_calc.py").write_text(
        "import os, sys\nsys.path.insert(0, os.getcwd())\nfrom calc import add, mul\n\n"
        "def test_mul():\n    assert mul(3, 4) == 12\n")
    _git(work, "add", "-A")
    _git(work, "commit", "-qm", "environment setup commit")
    env_commit = _git(work, "rev-parse", "HEAD")
    (work / "calc.py").write_text("def add(a, b):\n    return a - b\n\n\ndef mul(a, b):\n    return a * b\n")
    _git(work, "commit", "-qam", "add add()")
    base_commit = _git(work, "rev-parse", "HEAD")
    mirrors = root / "mirrors"
    mirrors.mkdir()
    _git(root, "clone", "-q", "--bare", str(work), str(mirrors / (repo.replace("/", "__") + ".git")))
    row = {"repo": repo, "instance_id": "local__calc-1", "base_commit": base_commit,
           "environment_setup_commit": env_commit, "patch": GOLD_PATCH, "test_patch": TEST_PATCH,
           "problem_statement": "add() subtracts", "version": "0.1",
           "FAIL_TO_PASS": json.dumps(["tests/test_calc.py::test_add"]),
           "PASS_TO_PASS": json.dumps(["tests/test_calc.py::test_mul"]), "spec": FIXTURE_SPEC}
    broken = {**row, "instance_id": "local__calc-broken-env",
              "spec": {**FIXTURE_SPEC, "install": ["echo cannot build; exit 3"]}}
    dataset = root / "dataset.jsonl"
    dataset.write_text("".join(json.dumps(r) + "\n" for r in (row, broken)))
    return {"dataset": dataset, "mirrors": mirrors, "work": work, "env_commit": env_commit,
            "base_commit": base_commit, "row": row, "repo": repo}
