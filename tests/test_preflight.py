"""The preflight's reading of a baseline run, and reproductions that fail for their own reasons."""
from __future__ import annotations

import json

from clirun import dsfix, report, script
from conftest import REPLAY
from dsfix.agent.judge import TestRun
from dsfix.agent.preflight import own_error, own_packages, why_tests_cannot_run


def _run(exit_code: int, statuses: dict, tail: str, timed_out: bool = False) -> TestRun:
    return TestRun("python -m pytest -rA", exit_code, 1.0, timed_out, statuses, tail)


def test_red_tests_are_a_bug_not_a_broken_environment():
    assert why_tests_cannot_run(_run(1, {"t.py::a": "FAILED", "t.py::b": "PASSED"}, "")) is None
    assert why_tests_cannot_run(_run(1, {"t.py::a": "ERROR", "u.py": "ERROR"}, "")) is None   # a test errored: it ran
    assert why_tests_cannot_run(None) is None   # no test command: the reproduction alone must prove the fix


def test_no_test_only_collection_errors_or_a_timeout_stop_the_run():
    assert "collected no tests" in why_tests_cannot_run(_run(5, {}, "collected 0 items\n== no tests ran in 0.01s =="))
    missing = "E   ModuleNotFoundError: No module named 'attrs'\nImportError while loading conftest '/r/c.py'."
    assert "No module named 'attrs'" in why_tests_cannot_run(_run(4, {}, missing))
    assert "timed out" in why_tests_cannot_run(_run(124, {}, "", timed_out=True))


def test_an_import_that_fails_in_the_repositorys_own_code_may_be_the_bug():
    """Collection errors from the repository's own code go to the model; the package missing as a
    whole, or a third-party module, is the environment's."""
    own = own_packages(["src/calc/__init__.py", "src/calc/core.py", "setup.py", "tests/test_calc.py"])
    assert own == {"calc", "setup"}
    errors = {"tests/test_calc.py": "ERROR"}
    assert why_tests_cannot_run(_run(2, errors, "ImportError: cannot import name 'mean' from 'calc'"), own) is None
    assert why_tests_cannot_run(_run(2, errors, "ModuleNotFoundError: No module named 'calc.stats'"), own) is None
    assert "No module named 'calc'" in why_tests_cannot_run(
        _run(2, errors, "ModuleNotFoundError: No module named 'calc'"), own)
    assert "No module named 'numpy'" in why_tests_cannot_run(
        _run(2, errors, "ModuleNotFoundError: No module named 'numpy'"), own)


def test_a_reproduction_dying_of_its_own_import_or_name_error_shows_nothing():
    tb = "Traceback (most recent call last):\n  File \"r.py\", line 1\nModuleNotFoundError: No module named 'inventry'\n"
    assert own_error(tb, "batches drops the last item") == "ModuleNotFoundError"
    assert own_error("NameError: name 'batchs' is not defined\n", "batches drops items") == "NameError"
    assert own_error("AssertionError: [[1, 2]]\n", "batches drops items") is None
    assert own_error(tb, "importing inventory raises ModuleNotFoundError") is None   # the bug itself


def test_the_loop_sends_back_a_reproduction_that_fails_for_its_own_reasons(docker_client, buggy_repo, tmp_path):
    replay = json.loads(REPLAY.read_text())["responses"]
    typo = "```python\nfrom inventory.batchng import batches\n```"
    model = script(tmp_path / "s.json", [typo, replay[0], replay[3]])
    out = tmp_path / "out"
    r = dsfix("fix", str(buggy_repo), "--issue", "batches drops the last partial batch", "--model", model,
              "--out", str(out))
    assert r.returncode == 0, r.stderr + r.stdout
    events = [json.loads(line) for line in (out / "trajectory.jsonl").read_text().splitlines()]
    assert [e["reason"] for e in events if e["type"] == "repro_refused"] == [
        "ModuleNotFoundError of the script's own making"]
    assert any("of the script's own making" in e.get("content", "") for e in events if e["type"] == "message")
    assert report(out)["reproduction"]["before_exit"] == 1
