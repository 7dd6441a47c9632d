"""The loop and its verifier in-process, with a fake environment and a scripted model (replayed
answers, not a real model), as mini-swe-agent tests its agent: no engine, one real git repo.

The fake environment runs nothing: it answers pytest commands with a pytest -rA log computed from
the files the loop wrote (is the bug fixed? is the formatter broken?), as the real suite would.
"""
from __future__ import annotations

from dsfix.agent.config import Settings
from dsfix.agent.loop import Agent
from dsfix.agent.model import Reply, RunTotals
from dsfix.common.redact import Redactor
from dsfix.agent.status import Status
from dsfix.agent.testplan import TestPlan
from dsfix.agent.trajectory import Trajectory
from dsfix.agent.verifier import REPRO_PATH, Verifier
from dsfix.envs.base import ExecResult, Timings
from dsfix.envs.workspace import Workspace
from dsfix.prompts import render

from conftest import commit_files
from test_fast_attempts import BREAKS_FMT, FILES, REPRO, RIGHT


class FakeEnv:
    """Files by path; pytest answered from them. Records every command."""

    def __init__(self, files: dict[str, str]):
        self.orig, self.files, self.commands, self.timings = dict(files), dict(files), [], Timings()

    def _results(self) -> dict[str, bool]:
        core, fixed = self.files["calc/core.py"], "/ len(xs)\n" in self.files["calc/core.py"]
        return {"tests/test_core.py::test_mean": fixed, "tests/test_core.py::test_mean_one": fixed,
                "tests/test_report.py::test_summary": ":.1f" not in core, "tests/test_known.py::test_red": False}

    def execute(self, command: str, timeout=None) -> ExecResult:
        self.commands.append(command)
        if REPRO_PATH in command:
            ok = "/ len(xs)\n" in self.files["calc/core.py"]
            return ExecResult(0 if ok else 1, "" if ok else "AssertionError: 3.0", 0.1)
        named = [w for w in command.split() if w.startswith("tests/")]
        res = {t: ok for t, ok in self._results().items() if not named or t.split("::")[0] in named}
        lines = [f"{'PASSED' if ok else 'FAILED'} {t}" for t, ok in res.items()]
        npass = sum(res.values())
        log = ("=== test session starts ===\n=== short test summary info ===\n" + "\n".join(lines) +
               f"\n=== {len(res) - npass} failed, {npass} passed in 0.1s ===\n")
        return ExecResult(0 if all(res.values()) else 1, log, 0.1)

    def read_file(self, path):
        return self.files.get(path)

    def write_file(self, path, text):
        self.files.pop(path, None) if text is None else self.files.__setitem__(path, text)

    def reset(self):
        self.files = {**self.orig, **{k: v for k, v in self.files.items() if k.startswith(".dsfix/")}}

    def close(self):
        pass


class Replay:
    """The scripted model in-process: replays given answers."""
    name = "scripted/in-process"

    def __init__(self, answers: list[str]):
        self.answers, self.totals = list(answers), RunTotals()

    def query(self, messages, temperature=None):
        from dsfix.agent.model import Usage
        self.totals.calls += 1
        self.asked = getattr(self, "asked", []) + [(list(messages), temperature)]
        return Reply(self.answers.pop(0), Usage(prompt=100, cache_hit=80 if temperature else 0), 0.0, 0.0)


def _setup(tmp_path):
    repo = commit_files(tmp_path / "calc", FILES)
    plan = TestPlan("python -m pytest -rA", "pytest", "detected", files_arg=True)
    return Workspace(repo), FakeEnv(FILES), plan, Trajectory(tmp_path / "t.jsonl", Redactor({}))


def test_the_verifier_checks_related_tests_then_the_whole_suite(tmp_path):
    ws, env, plan, traj = _setup(tmp_path)
    v = Verifier(env, plan, ws.root, lambda cmd, kind: env.execute(cmd))
    before = v.baseline()
    assert before.failing() == ["tests/test_core.py::test_mean", "tests/test_core.py::test_mean_one",
                                "tests/test_known.py::test_red"]
    assert v.try_repro("assert mean([1, 2, 3]) == 2", "mean is wrong").accepted
    env.files["calc/core.py"] = FILES["calc/core.py"].replace("/ (len(xs) - 1)", "/ len(xs)").replace("{x}", "{x:.1f}")
    c = v.check(["calc/core.py"], [])
    assert c.status is None and c.verdict.regressions == ["tests/test_report.py::test_summary"]
    assert c.record["related"] == ["tests/test_core.py"] and "suite_seconds" in c.record
    env.files["calc/core.py"] = FILES["calc/core.py"].replace("/ (len(xs) - 1)", "/ len(xs)")
    c = v.check(["calc/core.py"], [])
    assert c.status is Status.VERIFIED and "(4 tests ran)" in c.message
    # a patch that fails its related tests never costs a whole-suite run
    env.files["calc/core.py"] = FILES["calc/core.py"]
    n = len(env.commands)
    c = v.check(["calc/core.py"], [])
    assert c.status is None and c.record == {"related": ["tests/test_core.py"], "seconds": 0.1}
    assert [x for x in env.commands[n:] if "pytest" in x] == [plan.command_for(["tests/test_core.py"])]


def test_a_patch_with_syntax_errors_or_a_failing_reproduction_is_never_accepted(tmp_path):
    ws, env, plan, traj = _setup(tmp_path)
    v = Verifier(env, plan, ws.root, lambda cmd, kind: env.execute(cmd))
    v.baseline()
    assert v.try_repro("...", "mean is wrong").accepted
    assert v.check(["calc/core.py"], []).status is None                      # the bug is still there
    env.files["calc/core.py"] = FILES["calc/core.py"].replace("/ (len(xs) - 1)", "/ len(xs)")
    assert v.check(["calc/core.py"], ["calc/core.py:3: invalid syntax"]).status is None


def test_the_agent_in_process_feeds_the_suites_regression_back(tmp_path):
    ws, env, plan, traj = _setup(tmp_path)
    agent = Agent(Replay([REPRO, BREAKS_FMT, RIGHT]), env, traj, Settings(), ws, plan)
    out = agent.run(render("task", issue="mean() is off by one", repo_map="", files=[]))
    assert out.status is Status.VERIFIED and out.attempts == 2
    assert (out.repro["before_exit"], out.repro["after_exit"]) == (1, 0)
    fed_back = [m["content"] for m in traj.messages if m["role"] == "user"][-1]
    assert "tests/test_report.py::test_summary" in fed_back
    assert "mean(xs)" in out.patch and ":.1f" not in out.patch


class Sabotaged(FakeEnv):
    """A working environment the model's code has tampered with: every test and the
    reproduction pass there, whatever the code says."""

    def execute(self, command, timeout=None):
        r = super().execute(command, timeout)
        out = r.output.replace("FAILED", "PASSED").replace(" failed,", " 0 failed,") if "pytest" in command else ""
        return ExecResult(0, out, 0.1)


def test_the_verdict_is_made_in_a_fresh_environment_suite_first(tmp_path):
    """With fresh_env, what the working environment says only gates: the suite and then the
    reproduction run in a new one holding the snapshot and the patch from the host."""
    ws, clean, plan, traj = _setup(tmp_path)
    work, forks = Sabotaged(FILES), []

    def fresh_env():
        forks.append(FakeEnv(FILES))
        return forks[-1]
    v = Verifier(work, plan, ws.root, lambda cmd, kind: v.env.execute(cmd), fresh_env=fresh_env)
    v.before = Verifier(clean, plan, ws.root, lambda cmd, kind: clean.execute(cmd)).baseline()
    v.has_repro, v.repro_script = True, "assert mean([1, 2, 3]) == 2"   # accepted before the tampering
    wrong = {"calc/core.py": FILES["calc/core.py"].replace("def mean", "# still wrong\ndef mean")}
    c = v.check(["calc/core.py"], [], changes=wrong)
    assert c.status is None and c.record["fresh"] and c.repro.exit_code == 1   # the fresh env sees the bug
    assert forks[0].files["calc/core.py"] == wrong["calc/core.py"]
    ran = [x for x in forks[0].commands if "pytest" in x or REPRO_PATH in x]
    assert ran[0] == plan.command_for(None) and REPRO_PATH in ran[1] and len(ran) == 2   # the suite, then the repro
    right = {"calc/core.py": FILES["calc/core.py"].replace("/ (len(xs) - 1)", "/ len(xs)")}
    c = v.check(["calc/core.py"], [], changes=right)
    assert c.status is Status.VERIFIED and len(forks) == 2 and v.env is work


def test_a_costly_quick_check_is_skipped_only_for_a_patch_that_passes_its_reproduction(tmp_path):
    """Most of the suite's test time in the related files: a passing reproduction goes straight to
    the suite; a failing one still gets the quick check, whose results are its feedback."""
    from dataclasses import replace
    ws, env, plan, traj = _setup(tmp_path)
    v = Verifier(env, plan, ws.root, lambda cmd, kind: env.execute(cmd))
    v.before = replace(v.baseline(), file_seconds={"tests/test_core.py": 8.0, "tests/test_report.py": 1.0,
                                                    "tests/test_known.py": 1.0})
    assert v.try_repro("assert mean([1, 2, 3]) == 2", "mean is wrong").accepted
    n = len(env.commands)
    c = v.check(["calc/core.py"], [])                       # the bug is still there: the repro fails
    assert c.record["related"] == ["tests/test_core.py"] and c.tests is not None
    assert [x for x in env.commands[n:] if "pytest" in x] == [plan.command_for(["tests/test_core.py"])]
    env.files["calc/core.py"] = FILES["calc/core.py"].replace("/ (len(xs) - 1)", "/ len(xs)")
    n = len(env.commands)
    c = v.check(["calc/core.py"], [])
    assert c.status is Status.VERIFIED and c.record["related"] is None
    assert [x for x in env.commands[n:] if "pytest" in x] == [plan.command_for()]   # the suite, once


def test_a_kept_baseline_is_not_run_again(tmp_path):
    from dsfix.agent.baseline_store import BaselineStore
    ws, env, plan, traj = _setup(tmp_path)
    first = Verifier(env, plan, ws.root, lambda cmd, kind: env.execute(cmd))
    first.store_for = lambda p: BaselineStore("k-" + str(len(p.command_for())), tmp_path / "kept")
    ran = first.baseline()
    assert not ran.reused and len(env.commands) == 1
    again = Verifier(env, plan, ws.root, lambda cmd, kind: env.execute(cmd))
    again.store_for = first.store_for
    kept = again.baseline()
    assert kept.reused and kept.statuses == ran.statuses and len(env.commands) == 1   # nothing ran
