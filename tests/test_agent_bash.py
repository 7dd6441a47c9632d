"""Agent mode (--agent bash) end to end in a real container, driven by the scripted model (replayed
answers, not a real model): commands, edits through dsfix's applier, a reproduction, submit, and a
verdict from a fresh container that nothing the model ran can influence."""
from __future__ import annotations

import json

from clirun import dsfix, report, script
from conftest import commit_files
from test_fast_attempts import FILES

FENCE = "```"


def bash(cmd: str) -> str:
    return f"Next:\n{FENCE}bash\n{cmd}\n{FENCE}"


APPLY = bash("apply_diff <<'EOF'\n--- a/calc/core.py\n+++ b/calc/core.py\n@@ -1,2 +1,2 @@\n def mean(xs):\n"
             "-    return sum(xs) / (len(xs) - 1)\n+    return sum(xs) / len(xs)\nEOF")
REPRO = bash("mkdir -p .dsfix && printf 'from calc.core import mean\\nassert mean([1, 2, 3]) == 2\\n' > .dsfix/repro.py"
             " && PYTHONPATH=. python3 .dsfix/repro.py")


def _events(out):
    return [json.loads(line) for line in (out / "trajectory.jsonl").read_text().splitlines()]


def test_the_model_acts_edits_through_the_applier_and_is_verified(docker_client, tmp_path):
    repo = commit_files(tmp_path / "calc", FILES)
    answers = [bash("cat calc/core.py"), REPRO, bash("apply_diff <<'EOF'\n--- a/calc/nope.py\nEOF"), APPLY,
               bash("PYTHONPATH=. python3 .dsfix/repro.py && echo fixed"), bash("submit")]
    out = tmp_path / "out"
    r = dsfix("fix", str(repo), "--issue", "mean() divides by one less than the number of values",
              "--model", script(tmp_path / "s.json", answers), "--agent", "bash", "--out", str(out))
    assert r.returncode == 0, r.stderr + r.stdout
    rep = report(out)
    assert rep["status"] == "verified" and rep["attempts"] == 1
    assert rep["reproduction"] == {"before_exit": 1, "after_exit": 0}   # tried on the original code first
    events = _events(out)
    acted = [e for e in events if e["type"] == "observation" and e["kind"] == "act"]
    assert "return sum(xs) / (len(xs) - 1)" in acted[0]["output"] and "fixed" in acted[-1]["output"]
    told = [e["content"] for e in events if e["type"] == "message" and e["role"] == "user"]
    assert told[3].startswith("refused: no file changes found")     # a malformed apply_diff is told so
    assert "applied to calc/core.py" in told[4]
    assert (out / "patch.diff").read_text().count("+    return sum(xs) / len(xs)") == 1
    assert ".dsfix" not in (out / "patch.diff").read_text()


def test_what_the_model_hides_from_git_does_not_reach_the_verdict(docker_client, tmp_path):
    """The fix is made in the acting container and hidden from its git; only a comment is left to
    the patch. The suite passes where the model acted, not in the fresh container: not verified."""
    repo = commit_files(tmp_path / "calc", FILES)
    hide = bash("sed -i 's|(len(xs) - 1)|len(xs)|' calc/core.py && git update-index --assume-unchanged calc/core.py"
                " && echo '# report' >> calc/report.py && python -m pytest -q tests/test_core.py")
    out = tmp_path / "out"
    r = dsfix("fix", str(repo), "--issue", "mean() is off by one", "--agent", "bash", "--out", str(out),
              "--model", script(tmp_path / "s.json", [hide, bash("submit")]))
    rep = report(out)
    acted = [e for e in _events(out) if e["type"] == "observation" and e["kind"] == "act"]
    assert "2 passed" in acted[0]["output"]                    # where the model acted, the tests passed
    assert rep["status"] != "verified" and r.returncode == 1, rep["message"]
    assert "len(xs) - 1" not in (out / "patch.diff").read_text()   # the hidden change is not in the patch
    assert rep["tests"]["after"]["statuses"]["tests/test_core.py::test_mean"] == "FAILED"


def test_the_step_limit_stops_a_looping_agent(docker_client, tmp_path):
    repo = commit_files(tmp_path / "calc", FILES)
    out = tmp_path / "out"
    r = dsfix("fix", str(repo), "--issue", "mean() is off by one", "--agent", "bash", "--max-steps", "4",
              "--out", str(out), "--model", script(tmp_path / "s.json", [bash("ls")], then="repeat"))
    assert r.returncode == 1
    rep = report(out)
    assert rep["status"] == "limit_steps" and rep["steps"] == 4
    from dsfix.envs.containers import orphans
    assert not orphans(docker_client)      # its containers went with it (its process has ended)
