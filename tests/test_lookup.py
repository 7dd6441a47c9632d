"""Look-ups: the model asks to see more code before it writes a fix (in-process loop, fake
environment, scripted model -- replayed answers, not a real model)."""
from __future__ import annotations

from dsfix.agent.config import Settings
from dsfix.agent.loop import Agent
from dsfix.agent.status import Status
from dsfix.prompts import render
from dsfix.tools.lookup import MAX_LINES, Request, answer, find_requests

from test_fast_attempts import REPRO, RIGHT
from test_verifier import Replay, _setup

FILES = {"a/x.py": "".join(f"line {i}\n" for i in range(1, 400)), "b/y.py": "def fmt(x):\n    return x\n"}


def test_requests_are_read_from_a_lookup_block_and_bounded():
    reqs = find_requests("I need more.\n```lookup\nopen a/x.py:10-12\nsearch \"fmt(\"\nopen b/y.py\n"
                         "open c.py:1-2\n```")
    assert reqs == [Request("open", "a/x.py", 10, 12), Request("search", "fmt("), Request("open", "b/y.py", 1, 0)]
    assert find_requests("```diff\n--- a/x\n```") is None


def test_answers_come_numbered_bounded_and_checked():
    def read(path):
        if path.startswith(".."):
            raise ValueError(f"path outside the repository: {path}")
        return FILES.get(path)
    out = answer([Request("open", "a/x.py", 10, 12), Request("open", "a/x.py", 1, 5000),
                  Request("search", "fmt("), Request("open", "../etc/passwd"), Request("open", "x.py"),
                  Request("unknown", "cat /etc/passwd")], read, FILES)
    assert "   10  line 10\n   11  line 11\n   12  line 12\n" in out
    assert f"## open a/x.py:1-{MAX_LINES}" in out and f"line {MAX_LINES + 1}\n" not in out
    assert "b/y.py:1: def fmt(x):" in out
    assert "refused: path outside the repository" in out
    assert "no such file: x.py (did you mean a/x.py?)" in out
    assert "not a look-up" in out


LOOKUP = "Let me see the formatter first.\n```lookup\nopen calc/core.py:1-6\nsearch fmt(\nopen ../../etc/passwd\n```"


def test_the_loop_answers_a_lookup_then_takes_the_fix(tmp_path):
    ws, env, plan, traj = _setup(tmp_path)
    model = Replay([REPRO, LOOKUP, RIGHT])
    out = Agent(model, env, traj, Settings(), ws, plan).run(render("task", issue="mean is off", repo_map="", files=[]))
    assert out.status is Status.VERIFIED and out.attempts == 1 and out.lookups == 1
    assert model.totals.calls == 3      # a look-up is a model step like any other
    asked = [m["content"] for m in traj.messages if m["role"] == "user"][-1]
    assert "    2      return sum(xs) / (len(xs) - 1)" in asked
    assert "calc/report.py:5: return \"total=\" + fmt(sum(xs))" in asked
    assert "refused: path outside the repository" in asked


def test_lookups_beyond_the_limit_are_not_answered(tmp_path):
    ws, env, plan, traj = _setup(tmp_path)
    cfg = Settings(limits={"max_lookups": 1})
    out = Agent(Replay([REPRO, LOOKUP, LOOKUP, RIGHT]), env, traj, cfg, ws, plan).run(
        render("task", issue="mean is off", repo_map="", files=[]))
    assert out.status is Status.VERIFIED and out.lookups == 1
    assert "No more look-ups" in [m["content"] for m in traj.messages if m["role"] == "user"][-2]
    assert "no ```diff block" in [m["content"] for m in traj.messages if m["role"] == "user"][-1]
