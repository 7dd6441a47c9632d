"""Several candidates per attempt, chosen by evidence: in-process with a fake environment and a
scripted model (replayed answers, not a real model), and end to end in a real container."""
from __future__ import annotations

import json

from clirun import dsfix, report, script
from conftest import commit_files
from dsfix.agent.config import Settings
from dsfix.agent.loop import Agent
from dsfix.agent.status import Status
from dsfix.prompts import render
from test_fast_attempts import BREAKS_FMT, FILES, REPRO, RIGHT
from test_verifier import Replay, _setup

NOOP = "```diff\n--- a/calc/core.py\n+++ b/calc/core.py\n@@ -1,2 +1,3 @@\n def mean(xs):\n+    # average\n     return sum(xs) / (len(xs) - 1)\n```"
JUNK = "I am not sure."


def _task():
    return render("task", issue="mean() is off by one", repo_map="", files=[])


def test_the_best_evidence_wins_and_every_candidate_says_why(tmp_path):
    ws, env, plan, traj = _setup(tmp_path)
    model = Replay([REPRO, BREAKS_FMT, NOOP, RIGHT, RIGHT.replace("```diff", "```diff  "), JUNK])
    out = Agent(model, env, traj, Settings(samples=5), ws, plan).run(_task())
    assert out.status is Status.VERIFIED and out.attempts == 1
    assert "mean(xs)" in out.patch and ":.1f" not in out.patch and "# average" not in out.patch
    (record,) = out.candidates
    assert record["chosen"] == 2
    by = {c["index"]: c for c in record["candidates"]}
    assert by[0]["regressions"] == ["tests/test_report.py::test_summary"] and by[0]["why"].startswith("lost to candidate 2")
    assert not by[1]["repro_passes"] and by[1]["why"].startswith("lost to candidate 2")
    assert by[2]["votes"] == 2 and by[2]["why"].startswith("chosen: verified, 2 vote(s)")
    assert by[3]["same_as"] == 2 and "a vote for it" in by[3]["why"]
    assert by[4]["why"].startswith("did not apply") and not by[4]["applied"]
    # one shared prompt: every sample was asked exactly what the first answer replied to
    first, *rest = model.asked[1:6]   # [0] asked for the reproduction
    assert all(m == first[0] for m, _ in rest) and all(t == 0.8 for _, t in rest) and first[1] is None
    assert [c["cache_hit"] for c in record["candidates"]] == [0, 80, 80, 80, 80]
    # the conversation goes on from the winner
    assert traj.messages[-1] == {"role": "assistant", "content": RIGHT}


def test_no_candidate_accepted_sends_the_best_ones_findings_back(tmp_path):
    ws, env, plan, traj = _setup(tmp_path)
    model = Replay([REPRO, NOOP, BREAKS_FMT, NOOP, NOOP])
    cfg = Settings(samples=2, limits={"max_attempts": 2})
    out = Agent(model, env, traj, cfg, ws, plan).run(_task())
    assert out.status is Status.FAILED and out.attempts == 2
    first = out.candidates[0]
    assert first["chosen"] == 1     # the reproduction passes with it: closer than a no-op
    fed_back = [m["content"] for m in traj.messages if m["role"] == "user"][-1]
    assert "tests/test_report.py::test_summary" in fed_back and ":.1f" in fed_back


def test_candidates_end_to_end_in_a_container(docker_client, tmp_path):
    repo = commit_files(tmp_path / "calc", FILES)
    model = script(tmp_path / "s.json", [REPRO, BREAKS_FMT, NOOP, RIGHT])
    out = tmp_path / "out"
    r = dsfix("fix", str(repo), "--issue", "mean() divides by one less than the number of values",
              "--model", model, "--samples", "3", "--out", str(out))
    assert r.returncode == 0, r.stderr + r.stdout
    rep = report(out)
    assert rep["status"] == "verified" and rep["candidates"][0]["chosen"] == 2
    assert [c["why"].split(":")[0] for c in rep["candidates"][0]["candidates"]] == [
        "lost to candidate 2", "lost to candidate 2", "chosen"]
    events = [json.loads(line) for line in (out / "trajectory.jsonl").read_text().splitlines()]
    assert [e["candidate"] for e in events if e.get("phase") == "sample"] == [1, 2]
    assert "# average" not in (out / "patch.diff").read_text()


CHANGES_FMT = BREAKS_FMT.replace("```\n", "```\n", 1) + (
    "\nThe issue asks for one decimal, which test_summary asserts against:\n"
    "```obsolete\ntests/test_report.py::test_summary - asserts the old format the issue changes\n```")


def test_tests_the_issue_makes_obsolete_are_excused_and_said(tmp_path):
    ws, env, plan, traj = _setup(tmp_path)
    out = Agent(Replay([REPRO, BREAKS_FMT, CHANGES_FMT]), env, traj, Settings(), ws, plan).run(_task())
    assert out.status is Status.VERIFIED and out.attempts == 2   # the first, unexplained, was a regression
    assert "named obsolete" in out.message and "tests/test_report.py::test_summary" in out.message
    assert out.checks[-1]["excused"] == ["tests/test_report.py::test_summary"]
    assert out.checks[0].get("excused") is None


def test_an_excuse_proves_nothing_by_itself(tmp_path):
    ws, env, plan, traj = _setup(tmp_path)
    noop_excused = NOOP + "\n```obsolete\ntests/test_report.py::test_summary\n```"
    env.files["calc/core.py"] = FILES["calc/core.py"]
    agent = Agent(Replay([]), env, traj, Settings(), ws, plan)
    agent.baseline()
    from dsfix.agent.blocks import obsolete_tests
    env.files["calc/core.py"] = FILES["calc/core.py"].replace("{x}", "{x:.1f}")   # breaks it, fixes nothing
    c = agent.verifier.check(["calc/core.py"], [], obsolete_tests(noop_excused))
    assert c.status is None


def _unproven(index: int, patch: str, votes: int = 1):
    """A candidate the verifier accepted with nothing to prove it (no reproduction, nothing red before)."""
    from dsfix.agent.candidates import Candidate
    from dsfix.agent.edit import Applied
    from dsfix.agent.judge import Verdict
    from dsfix.agent.verifier import Check
    return Candidate(index, patch, applied=Applied(True, patch, files=["calc/core.py"]),
                     check=Check(Status.UNVERIFIED, verdict=Verdict(True, [], [])), votes=votes)


def test_a_comment_only_patch_never_wins_on_being_smallest():
    """bench/select.py: with nothing to prove a fix, the comment-only candidate was the smallest and
    won on equal votes over the real change (and over a change missing a part, which is larger)."""
    from dsfix.agent.candidates import choose
    comment = ("diff --git a/calc/core.py b/calc/core.py\n--- a/calc/core.py\n+++ b/calc/core.py\n"
               "@@ -1,2 +1,3 @@\n def mean(xs):\n+    # the mean of xs\n     return sum(xs) / (len(xs) - 1)\n")
    fix = ("diff --git a/calc/core.py b/calc/core.py\n--- a/calc/core.py\n+++ b/calc/core.py\n"
           "@@ -1,2 +1,4 @@\n def mean(xs):\n-    return sum(xs) / (len(xs) - 1)\n+    if not xs:\n"
           "+        return 0.0\n+    return sum(xs) / len(xs)\n")
    cands = [_unproven(0, comment), _unproven(1, fix)]
    assert choose(cands) is cands[1]
    assert "comments only" in cands[0].why
    # votes still decide between two real changes; a comment stays behind even with more votes
    cands = [_unproven(0, comment, votes=3), _unproven(1, fix), _unproven(2, fix.replace("0.0", "None"), votes=2)]
    assert choose(cands) is cands[2]


def test_what_counts_as_changing_code():
    from dsfix.agent.candidates import changes_code

    def diff(path, *lines):
        return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1,1 +1,2 @@\n x\n" + "".join(lines)
    assert not changes_code(diff("a.py", "+    # why\n", "+\n"))
    assert changes_code(diff("a.py", "+    return 1\n"))
    assert changes_code(diff("a.py", "-    return 1  # kept\n"))
    assert not changes_code(diff("a.go", "+// why\n", "+ * more\n"))
    assert changes_code(diff("a.c", "+#define N 2\n"))          # '#' is code in C
    assert changes_code(diff("Makefile", "+# a rule\n"))        # unknown kind: never a comment
    # a removed SQL-style line "-- x" inside a hunk is a change, not a file header
    assert changes_code(diff("q.py", "--- x\n"))
