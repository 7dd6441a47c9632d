"""The loop switches from unified diffs to search/replace after repeated diff failures.

Driven by the scripted model (a replay of given answers, not a real model) in the local environment.
"""
from __future__ import annotations

import json

from clirun import dsfix, report, script
from test_fix_e2e import REPLAY

BAD = "```diff\n--- a/inventory/batching.py\n+++ b/inventory/batching.py\n@@ -1 +1 @@\n-def nope():\n+def x():\n```"
SR = """```text
inventory/batching.py
<<<<<<< SEARCH
    for start in range(0, len(items) - size + 1, size):
=======
    for start in range(0, len(items), size):
>>>>>>> REPLACE
```"""


def test_two_failed_diffs_switch_to_search_replace(buggy_repo, tmp_path):
    repro = json.loads(REPLAY.read_text())["responses"][0]
    model = script(tmp_path / "s.json", [repro, BAD, BAD, SR])
    out = tmp_path / "out"
    r = dsfix("fix", str(buggy_repo), "--issue", "batches drops items", "--model", model, "--out", str(out),
              "--env", "local")
    assert r.returncode == 0, r.stderr
    assert report(out)["status"] == "verified"
    events = [json.loads(x) for x in (out / "trajectory.jsonl").read_text().splitlines()]
    assert [e["format"] for e in events if e["type"] == "action"] == ["udiff", "udiff", "search_replace"]
    assert [e["to"] for e in events if e["type"] == "switch_format"] == ["search_replace"]
    assert "+    for start in range(0, len(items), size):" in (out / "patch.diff").read_text()
