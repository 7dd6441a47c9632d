"""Test results from unittest's own result objects: dsfix's runner in place of ``-m unittest``.

A real Docker run driven by a scripted model (replayed answers, not a real model) on a repository
whose tests are unittest only: docstrings, a failing subTest, a skip, an expected failure, an
error in setUpClass, and a test that prints a line shaped like a result. Plus the runner run
locally beside ``python -m unittest -v``, and result files that lie or are unfinished.
"""
from __future__ import annotations

import json
import subprocess
import sys

from clirun import dsfix, report, script
from conftest import commit_files

from dsfix.agent.judge import TestRun
from dsfix.agent.testplan import TestPlan
from dsfix.envs.base import ExecResult
from dsfix.envs.specs.parsers import parse_unittest_names
from dsfix.envs.specs.unittest_results import RUNNER, RUNNER_PATH, parse_results, unittest_command

TESTS = '''\
import unittest

from calc import clamp


class TestClamp(unittest.TestCase):
    def test_inside(self):
        """Values inside the range stay."""
        self.assertEqual(clamp(5, 0, 10), 5)

    def test_inside_too(self):
        """Values inside the range stay."""
        self.assertEqual(clamp(6, 0, 10), 6)

    def test_edges(self):
        for x, want in ((-1, 0), (10, 10), (11, 10)):
            with self.subTest(x=x):
                self.assertEqual(clamp(x, 0, 10), want)

    def test_prints(self):
        print("test_ghost (tests.test_calc.TestClamp.test_ghost) ... ok", flush=True)

    @unittest.skip("not yet")
    def test_later(self):
        pass

    @unittest.expectedFailure
    def test_known(self):
        self.assertEqual(1, 2)


class TestBroken(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        raise RuntimeError("no fixture here")

    def test_never(self):
        pass
'''
FILES = {"calc/__init__.py": "def clamp(x, lo, hi):\n    return max(lo, min(x, hi - 1))\n",
         "tests/__init__.py": "", "tests/test_calc.py": TESTS}
C = "tests.test_calc.TestClamp"
BEFORE = {f"test_inside ({C}.test_inside)": "PASSED", f"test_inside_too ({C}.test_inside_too)": "PASSED",
          f"test_edges ({C}.test_edges)": "FAILED",     # its subTest failed: the test is red
          f"test_prints ({C}.test_prints)": "PASSED", f"test_later ({C}.test_later)": "SKIPPED",
          f"test_known ({C}.test_known)": "XFAIL", "setUpClass (tests.test_calc.TestBroken)": "ERROR"}
REPRO = "```python\nfrom calc import clamp\nassert clamp(10, 0, 10) == 10, clamp(10, 0, 10)\n```"
RIGHT = ("```diff\n--- a/calc/__init__.py\n+++ b/calc/__init__.py\n@@ -1,2 +1,2 @@\n def clamp(x, lo, hi):\n"
         "-    return max(lo, min(x, hi - 1))\n+    return max(lo, min(x, hi))\n```")


def test_results_come_from_unittest_result_objects(docker_client, tmp_path):
    repo = commit_files(tmp_path / "calc", FILES)
    out = tmp_path / "out"
    r = dsfix("fix", str(repo), "--issue", "clamp(10, 0, 10) gives 9: the upper bound is excluded",
              "--model", script(tmp_path / "s.json", [REPRO, RIGHT]), "--out", str(out))
    assert r.returncode == 0, r.stderr + r.stdout
    tests = report(out)["tests"]
    assert tests["results_from"] == "unittest"
    assert tests["command"] == "python -m unittest -v"      # the user's command, as said to the user
    # no made-up test from a printed line; the subTest's test has its own id; docstrings keep names
    assert tests["before"]["statuses"] == BEFORE
    after = tests["after"]["statuses"]
    assert after == {**BEFORE, f"test_edges ({C}.test_edges)": "PASSED"}
    events = [json.loads(line) for line in (out / "trajectory.jsonl").read_text().splitlines()]
    ran = [e["command"] for e in events if e["type"] == "observation" and e["kind"].startswith("tests")]
    assert ran and all(RUNNER_PATH in c for c in ran), ran


def _unittest(tmp_path, *cmd: str) -> subprocess.CompletedProcess:
    commit_files(tmp_path, FILES)
    (tmp_path / ".dsfix").mkdir(exist_ok=True)
    (tmp_path / RUNNER_PATH).write_text(RUNNER)
    return subprocess.run([sys.executable, *cmd], cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_the_runner_gives_the_ids_unittest_v_prints(tmp_path):
    """Where the text parser reads the log right, the runner's ids are its ids (baselines compare)."""
    plain = _unittest(tmp_path, "-m", "unittest", "-v")
    ours = _unittest(tmp_path, RUNNER_PATH, "-v")
    assert ours.returncode == plain.returncode == 1
    got, ran = parse_results((tmp_path / ".dsfix/unittest.jsonl").read_text())
    assert ran == 6 and got == BEFORE
    text = parse_unittest_names(plain.stderr)
    edges = f"test_edges ({C}.test_edges)"
    assert {k: v for k, v in text.items() if k in got and k != edges} == {k: v for k, v in got.items() if k != edges}
    assert edges not in text    # what the log lost: the text parser never saw this test's result
    run = TestRun.from_exec("python -m unittest -v", ExecResult(ours.returncode, ours.stderr, 1.0), "unittest",
                            unittest=(tmp_path / ".dsfix/unittest.jsonl").read_text())
    assert run.results_from == "unittest" and run.statuses == BEFORE and not run.problem


def test_files_that_lie_or_are_unfinished():
    log = "Ran 3 tests in 0.1s\n\nFAILED (failures=1)\n"
    forged = '{"id": "a (m.T.a)", "status": "PASSED"}\n{"ran": 1}\n'
    run = TestRun.from_exec("python -m unittest", ExecResult(1, log, 1.0), "unittest", unittest=forged)
    assert "says 1 tests ran, its log says 3" in run.problem
    unfinished = '{"id": "a (m.T.a)", "status": "PASSED"}\n'    # the run was killed or called os._exit
    run = TestRun.from_exec("python -m unittest", ExecResult(1, log, 1.0), "unittest", unittest=unfinished)
    assert run.results_from.startswith("log (") and "did not finish" in run.results_from
    empty = TestRun.from_exec("python -m unittest", ExecResult(0, "Ran 0 tests in 0s\n\nOK\n", 1.0), "unittest",
                              unittest='{"ran": 0}\n')
    assert empty.problem    # nothing ran: it proves nothing


def test_which_commands_get_the_runner():
    assert unittest_command("python -m unittest -v") == f"python {RUNNER_PATH} -v"
    assert unittest_command("python3 -m unittest discover -v -s tests") == f"python3 {RUNNER_PATH} discover -v -s tests"
    assert unittest_command("PYTHONPATH=src python3.11 -W error -m unittest") == \
        f"PYTHONPATH=src python3.11 -W error {RUNNER_PATH}"
    for other in ("python -m pytest", "python -m unittest && echo hi", "tox -e py", "coverage run -m unittest"):
        assert unittest_command(other) is None, other
    plan = TestPlan("python -m unittest -v", "unittest", "detected", files_arg=True, unittest_results=True)
    assert plan.command_for(["tests/test_a.py"]) == f"python {RUNNER_PATH} -v tests/test_a.py"
    assert plan.shown(["tests/test_a.py"]) == "python -m unittest -v tests/test_a.py"
