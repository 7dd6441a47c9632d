"""Attempts check the tests related to what they changed; a verdict rests on the whole suite.

A real Docker run driven by a scripted model (replayed answers, not a real model): its first
patch fixes the bug and quietly breaks a module that only another test file covers. The related
tests pass; the whole suite, run before any verdict, catches it; the second patch is verified.
"""
from __future__ import annotations

import json

from clirun import dsfix, report, script
from conftest import commit_files

FILES = {
    "calc/__init__.py": "",
    "calc/core.py": "def mean(xs):\n    return sum(xs) / (len(xs) - 1)\n\n\ndef fmt(x):\n    return f\"{x}\"\n",
    "calc/report.py": "from calc.core import fmt\n\n\ndef summary(xs):\n    return \"total=\" + fmt(sum(xs))\n",
    "tests/test_core.py": ("from calc.core import mean\n\n\ndef test_mean():\n    assert mean([1, 2, 3]) == 2\n\n\n"
                           "def test_mean_one():\n    assert mean([4, 4]) == 4\n"),
    # slower than test_core.py's tests, so a quick check of those is worth its run (fast_share)
    "tests/test_report.py": ("import time\n\nfrom calc.report import summary\n\n\n"
                             "def test_summary():\n    time.sleep(0.3)\n    assert summary([1, 2, 3]) == \"total=6\"\n"),
    "tests/test_known.py": "def test_red():\n    assert \"known\" == \"broken\"   # red before any change\n",
}
REPRO = "```python\nfrom calc.core import mean\nassert mean([1, 2, 3]) == 2, mean([1, 2, 3])\n```"
MEAN = "-    return sum(xs) / (len(xs) - 1)\n+    return sum(xs) / len(xs)\n"
BREAKS_FMT = ("```diff\n--- a/calc/core.py\n+++ b/calc/core.py\n@@ -1,6 +1,6 @@\n def mean(xs):\n" + MEAN +
              " \n \n def fmt(x):\n-    return f\"{x}\"\n+    return f\"{x:.1f}\"\n```")
RIGHT = "```diff\n--- a/calc/core.py\n+++ b/calc/core.py\n@@ -1,3 +1,3 @@\n def mean(xs):\n" + MEAN + " \n```"


def test_related_tests_first_then_the_whole_suite_before_a_verdict(docker_client, tmp_path):
    repo = commit_files(tmp_path / "calc", FILES)
    model = script(tmp_path / "s.json", [REPRO, BREAKS_FMT, RIGHT])
    out = tmp_path / "out"
    r = dsfix("fix", str(repo), "--issue", "mean() divides by one less than the number of values",
              "--model", model, "--out", str(out))
    assert r.returncode == 0, r.stderr + r.stdout
    rep = report(out)
    assert rep["status"] == "verified" and rep["attempts"] == 2
    events = [json.loads(line) for line in (out / "trajectory.jsonl").read_text().splitlines()]
    runs = [(e["kind"], e["command"]) for e in events if e["type"] == "observation" and e["kind"].startswith("tests")]
    kinds = [k for k, _ in runs]
    # baseline (suite); attempt 1: related, then the suite (which catches test_report); attempt 2: the same
    assert kinds == ["tests", "tests_related", "tests", "tests_related", "tests"], runs
    related = runs[1][1]
    assert "tests/test_core.py" in related and "test_report.py" not in related
    checks = rep["tests"]["checks"]
    assert [c["related"] for c in checks] == [["tests/test_core.py"], ["tests/test_core.py"]]
    assert all("suite_seconds" in c for c in checks)
    feedback = [e["content"] for e in events if e["type"] == "message" and e.get("role") == "user" and e.get("phase") == "edit"][1]
    assert "test_summary" in feedback     # the whole suite's regression went back to the model
    # the results came from pytest's JUnit report, and the red baseline is said as such
    assert rep["tests"]["results_from"] == "junit"
    assert rep["tests"]["failing_before"] == ["tests/test_core.py::test_mean", "tests/test_core.py::test_mean_one",
                                              "tests/test_known.py::test_red"]
    assert "3 of 4 tests failed before any change" in r.stdout
    assert "test command" in r.stdout and "python -m pytest -rA" in r.stdout
    assert rep["tests"]["source"] == "detected from pytest's defaults (no pytest configuration found)"
    after = rep["tests"]["after"]
    assert after["statuses"]["tests/test_report.py::test_summary"] == "PASSED"
    assert after["statuses"]["tests/test_known.py::test_red"] == "FAILED"   # still red: not a regression


def test_quick_checks_only_run_files_the_baseline_knows_by_the_same_names(tmp_path):
    from dsfix.agent.judge import TestRun
    from dsfix.agent.testplan import TestPlan
    repo = commit_files(tmp_path / "calc", FILES)
    plan = TestPlan("python -m pytest -rA", "pytest", "detected", files_arg=True)
    ids = {"tests/test_core.py::test_mean": "FAILED", "tests/test_report.py::test_summary": "PASSED",
           "tests/test_known.py::test_red": "FAILED"}
    base = TestRun("python -m pytest -rA", 1, 1.0, False, ids)
    assert plan.fast_files(repo, ["calc/core.py"], base) == ["tests/test_core.py"]
    assert "--continue-on-collection-errors tests/test_core.py" in plan.command_for(["tests/test_core.py"])
    # a rootdir elsewhere names the files differently: no quick check rather than a red file misread
    other = TestRun("pytest", 1, 1.0, False, {k.removeprefix("tests/"): v for k, v in ids.items()})
    assert plan.fast_files(repo, ["calc/core.py"], other) is None
    # results without file names (unittest, exit codes) cannot be narrowed
    assert plan.fast_files(repo, ["calc/core.py"], TestRun("make test", 0, 1.0, False, {})) is None
    # narrowed to related tests already (SWE-bench rows): a quick check runs only a subset of them
    related = TestPlan("python -m pytest -rA", "pytest", "spec", files_arg=True, scope="related",
                       files=["tests/test_core.py", "tests/test_report.py"])
    assert related.fast_files(repo, ["calc/core.py"], base) == ["tests/test_core.py"]
    assert related.command_for().endswith("tests/test_core.py tests/test_report.py")
    only_core = TestPlan("python -m pytest -rA", "pytest", "spec", files_arg=True, scope="related",
                         files=["tests/test_core.py"])
    assert only_core.fast_files(repo, ["calc/core.py"], base) is None   # nothing left out: the suite at once


def test_a_quick_check_that_would_cost_most_of_the_suite_is_skipped(tmp_path):
    """pylint: the tests related to a reporter include test_self.py, most of the related tests'
    time; checking them first, then the suite, paid that twice for every good patch."""
    from dsfix.agent.judge import TestRun
    from dsfix.agent.testplan import TestPlan, fast_share
    repo = commit_files(tmp_path / "calc", FILES)
    plan = TestPlan("python -m pytest -rA", "pytest", "detected", files_arg=True)
    ids = {"tests/test_core.py::test_mean": "FAILED", "tests/test_report.py::test_summary": "PASSED",
           "tests/test_known.py::test_red": "FAILED"}
    cheap = TestRun("python -m pytest -rA", 1, 9.0, False, ids, file_seconds={
        "tests/test_core.py": 0.1, "tests/test_report.py": 3.0, "tests/test_known.py": 0.9})
    assert fast_share(["tests/test_core.py"], cheap) == 0.1 / 4.0
    assert plan.fast_files(repo, ["calc/core.py"], cheap) == ["tests/test_core.py"]
    costly = TestRun("python -m pytest -rA", 1, 9.0, False, ids, file_seconds={
        "tests/test_core.py": 3.0, "tests/test_report.py": 0.1, "tests/test_known.py": 0.9})
    assert plan.fast_files(repo, ["calc/core.py"], costly) is None   # 75% of the time: the suite at once
    # no per-file times (a log read as text): the quick check as before
    assert fast_share(["tests/test_core.py"], TestRun("pytest", 1, 9.0, False, ids)) == 0.0
    # SWE-bench rows keep their log parsers; a JUnit report beside them gives only the times
    rows = TestPlan("pytest -rA", "pytest", "spec", files_arg=True, junit_times=True)
    assert "--junitxml" in rows.command_for(["tests/test_core.py"])
    assert rows.shown(["tests/test_core.py"]) == "pytest -rA --continue-on-collection-errors tests/test_core.py"


def test_a_suite_past_the_timeout_runs_the_related_tests_instead(docker_client, tmp_path):
    """pypa/packaging's 62k tests ran past env.exec_timeout before any change, and the run stopped
    (env_error, exit 2) though the tests of the code at issue take a second: now those run."""
    slow = {**FILES, "tests/test_slow.py": "import time\n\n\ndef test_slow():\n    time.sleep(60)\n"}
    repo = commit_files(tmp_path / "calc", slow)
    out = tmp_path / "out"
    r = dsfix("fix", str(repo), "--issue", "calc.core.mean() divides by one less than the number of values",
              "--model", script(tmp_path / "s.json", [REPRO, RIGHT]), "--out", str(out),
              env={"DSFIX_ENV__EXEC_TIMEOUT": "15"})
    assert r.returncode == 0, r.stderr + r.stdout
    tests = report(out)["tests"]
    assert "ran past env.exec_timeout (15s) before any change" in tests["source"]
    assert "tests/test_core.py" in tests["command"] and "test_slow" not in tests["command"]
    after = tests["after"]["statuses"]
    assert after["tests/test_core.py::test_mean"] == after["tests/test_core.py::test_mean_one"] == "PASSED"
    assert not any("test_slow" in t for t in after), after
