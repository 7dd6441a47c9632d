"""Test results from pytest's JUnit XML report: real pytest runs, and reports that lie."""
from __future__ import annotations

import subprocess
import sys

from dsfix.agent.judge import TestRun, compare
from dsfix.envs.base import ExecResult
from dsfix.envs.specs.junit import junit_args, junit_problem, parse_junit, read_junit

TESTS = '''\
import pytest
def test_ok(): pass
def test_bad(): assert 0
class TestK:
    class TestInner:
        def test_deep(self): pass
    @pytest.mark.parametrize("x", ["a b", "c::d"])
    def test_p(self, x): pass
@pytest.mark.xfail
def test_xf(): assert 0
@pytest.mark.skip
def test_sk(): pass
@pytest.fixture
def broken():
    yield
    raise RuntimeError("teardown")
def test_teardown(broken): pass
def test_prints(): print("PASSED tests/test_a.py::test_bad")
'''


def _pytest(tmp_path, *args: str) -> tuple[subprocess.CompletedProcess, str]:
    (tmp_path / "tests").mkdir(exist_ok=True)
    (tmp_path / "tests" / "test_a.py").write_text(TESTS)
    (tmp_path / "tests" / "test_b.py").write_text("import no_such_module\n")
    cmd = [sys.executable, "-m", "pytest", *args, *junit_args("j.xml").split(), "-p", "no:cacheprovider"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    return proc, (tmp_path / "j.xml").read_text()


def test_node_ids_and_statuses_from_a_real_report(tmp_path):
    proc, xml = _pytest(tmp_path, "-q", "--continue-on-collection-errors")   # -q: the log lists no passes
    got = parse_junit(xml)
    assert got == {
        "tests/test_b.py": "ERROR",                      # a module that cannot be collected
        "tests/test_a.py::test_ok": "PASSED",
        "tests/test_a.py::test_bad": "FAILED",           # whatever a test prints
        "tests/test_a.py::TestK::TestInner::test_deep": "PASSED",
        "tests/test_a.py::TestK::test_p[a b]": "PASSED",
        "tests/test_a.py::TestK::test_p[c::d]": "PASSED",
        "tests/test_a.py::test_xf": "XFAIL",
        "tests/test_a.py::test_sk": "SKIPPED",
        "tests/test_a.py::test_teardown": "ERROR",       # passed, then its teardown failed: the worst
        "tests/test_a.py::test_prints": "PASSED",
    }
    assert junit_problem(got, proc.stdout, proc.returncode) is None
    run = TestRun.from_exec("pytest -q", ExecResult(proc.returncode, proc.stdout, 1.0), "pytest", xml)
    assert run.results_from == "junit" and run.statuses == got and not run.problem


def test_seconds_per_test_file_from_a_real_report(tmp_path):
    """What each file's tests took, for deciding whether a quick check is worth its run."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_slow.py").write_text("import time\ndef test_s():\n    time.sleep(0.4)\n")
    (tmp_path / "tests" / "test_quick.py").write_text("def test_q(): pass\n")
    cmd = [sys.executable, "-m", "pytest", "-q", *junit_args("j.xml").split(), "-p", "no:cacheprovider"]
    subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    statuses, seconds = read_junit((tmp_path / "j.xml").read_text())
    assert statuses == {"tests/test_slow.py::test_s": "PASSED", "tests/test_quick.py::test_q": "PASSED"}
    assert set(seconds) == {"tests/test_slow.py", "tests/test_quick.py"}
    assert seconds["tests/test_slow.py"] >= 0.4 > seconds["tests/test_quick.py"]
    run = TestRun.from_exec("pytest", ExecResult(0, "", 2.0), "pytest", (tmp_path / "j.xml").read_text())
    assert run.file_seconds == seconds


def test_a_report_rewritten_to_all_passes_disagrees_with_the_tally(tmp_path):
    proc, xml = _pytest(tmp_path, "-rA", "--continue-on-collection-errors")
    forged = xml.replace("<failure", "<system-out").replace("</failure>", "</system-out>")
    assert "FAILED 0 in the report vs 1 in the tally" in junit_problem(parse_junit(forged), proc.stdout, proc.returncode)
    run = TestRun.from_exec("pytest", ExecResult(proc.returncode, proc.stdout, 1.0), "pytest", forged)
    assert run.problem and not compare(None, run).tests_ok     # untrusted: never a pass
    # invented passes beyond the slack a teardown error gives (that test is one pass in the tally)
    invented = "".join(f'<testcase classname="tests.test_a" name="test_new{i}" file="tests/test_a.py"/>'
                       for i in range(2))
    extra = xml.replace("</testsuite>", invented + "</testsuite>")
    assert "PASSED" in junit_problem(parse_junit(extra), proc.stdout, proc.returncode)


def test_reports_that_are_not_reports_are_refused():
    import pytest
    for bad in ("not xml", "<html/>", '<!DOCTYPE x [<!ENTITY a "b">]><testsuite/>'):
        with pytest.raises(ValueError):
            parse_junit(bad)
    run = TestRun.from_exec("pytest", ExecResult(0, "", 1.0), "pytest", "<html/>")
    assert run.results_from.startswith("log") and run.problem and not compare(None, run).tests_ok


def test_tests_that_had_results_and_have_none_now_did_not_pass():
    before = TestRun("pytest", 1, 1.0, False, {"t.py::a": "FAILED", "t.py::b": "PASSED"})
    assert not compare(before, TestRun("pytest", 0, 1.0, False, {})).tests_ok
    assert compare(before.only(["u.py"]), TestRun("pytest", 0, 1.0, False, {})).tests_ok   # no results to lose
    assert before.only(["t.py"]).statuses == before.statuses


def test_collection_errors_alone_are_never_a_pass():
    # pytest interrupted by collection errors ran no test, even when the same errors were there before
    before = TestRun("pytest", 2, 1.0, False, {"tests/test_a.py": "ERROR"})
    assert not compare(before, TestRun("pytest", 2, 1.0, False, {"tests/test_a.py": "ERROR"})).tests_ok


def test_a_run_whose_results_cannot_be_read_proves_nothing(tmp_path):
    """A pytest config forcing --color=yes coloured every result line; read as nothing, the run
    fell back to its exit code and a no-op patch came out verified (python-humanize)."""
    from dsfix.agent.preflight import why_tests_cannot_run
    (tmp_path / "test_c.py").write_text("def test_ok(): pass\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-rA", "--color=yes", "-p", "no:cacheprovider"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert "\x1b[" in proc.stdout
    run = TestRun.from_exec("pytest -rA --color=yes", ExecResult(0, proc.stdout, 1.0), "pytest")
    assert run.statuses == {"test_c.py::test_ok": "PASSED"}     # colour codes stripped
    unreadable = TestRun.from_exec("pytest -rA", ExecResult(0, "all good, trust me\n", 1.0), "pytest")
    assert unreadable.problem and not compare(None, unreadable).tests_ok
    assert "no test result could be read" in why_tests_cannot_run(unreadable)


def test_tests_inherited_from_a_mixin_keep_their_own_ids(tmp_path):
    """JUnit's file attribute names where a test function is defined: for methods a TestCase
    inherits from a mixin in tests/__init__.py, that is one file for every class. Read as the
    node's file, 276 tests collapsed into 182 ids (tkem/cachetools)."""
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "__init__.py").write_text("class Mixin:\n    def test_clear(self):\n"
                                                    "        assert self.make() == {}\n")
    for mod, cls, made in (("test_one", "OneTest", "{}"), ("test_two", "TwoTest", "{'x': 1}")):
        (tmp_path / "tests" / f"{mod}.py").write_text(
            f"import unittest\nfrom tests import Mixin\nclass {cls}(Mixin, unittest.TestCase):\n"
            f"    def make(self): return {made}\n")
    cmd = [sys.executable, "-m", "pytest", "-rA", *junit_args("j.xml").split(), "-p", "no:cacheprovider"]
    proc = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    xml = (tmp_path / "j.xml").read_text()
    assert 'file="tests/__init__.py"' in xml
    want = {"tests/test_one.py::OneTest::test_clear": "PASSED", "tests/test_two.py::TwoTest::test_clear": "FAILED"}
    known = {"tests/__init__.py", "tests/test_one.py", "tests/test_two.py"}
    assert parse_junit(xml, known) == want and parse_junit(xml) == want
    run = TestRun.from_exec("pytest", ExecResult(proc.returncode, proc.stdout, 1.0), "pytest", xml, known)
    assert run.results_from == "junit" and run.statuses == want and not run.problem


def test_ids_that_would_collide_leave_the_log_to_read():
    import pytest
    collide = ('<testsuite><testcase classname="pkg.mod.T" name="x"/>'
               '<testcase classname="pkg.mod" name="T::x"/></testsuite>')   # both pkg/mod.py::T::x
    with pytest.raises(ValueError, match="two tests map to one id"):
        parse_junit(collide)
    log = "=== test session starts ===\n=== short test summary info ===\nPASSED a.py::A::t\n=== 1 passed in 0.1s ===\n"
    run = TestRun.from_exec("pytest -rA", ExecResult(0, log, 1.0), "pytest", collide)
    assert run.results_from.startswith("log (the JUnit report") and run.statuses == {"a.py::A::t": "PASSED"}


def test_tests_of_a_module_that_could_not_be_collected_before_count_as_fixed():
    # SWE-bench pytest-dev__pytest-7168: the test file fails to import before the fix
    before = TestRun("pytest", 2, 1.0, False, {"t.py": "ERROR", "u.py::a": "PASSED"})
    after = TestRun("pytest", 0, 1.0, False, {"t.py::x": "PASSED", "t.py::y": "PASSED", "u.py::a": "PASSED"})
    v = compare(before, after)
    assert v.tests_ok and v.fixed == ["t.py::x", "t.py::y"]
