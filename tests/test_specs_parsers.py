"""Log parsers on real pytest output and on faithful Django/SymPy excerpts."""

import subprocess
import sys
import textwrap

import pytest

from dsfix.envs.specs import PARSERS, log_problem, parse_log

DEMO = '''
import pytest

@pytest.fixture
def broken():
    raise RuntimeError("fixture boom")

def test_pass():
    assert True

def test_fail():
    assert 1 == 2, "one - two"

def test_error(broken):
    pass

@pytest.mark.skip(reason="not today")
def test_skip():
    pass

@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False

@pytest.mark.parametrize("s", ["a b", "x]y", "[z]", "q - r"])
def test_param(s):
    assert s != "a b"

class TestK:
    def test_m(self):
        print("captured output")
'''

EXPECTED = {
    "test_demo.py::test_pass": "PASSED",
    "test_demo.py::test_fail": "FAILED",
    "test_demo.py::test_error": "ERROR",
    "test_demo.py::test_xfail": "XFAIL",
    "test_demo.py::test_param[a b]": "FAILED",
    "test_demo.py::test_param[x]y]": "PASSED",
    "test_demo.py::test_param[[z]]": "PASSED",
    "test_demo.py::test_param[q - r]": "PASSED",
    "test_demo.py::TestK::test_m": "PASSED",
}


def run_pytest(tmp_path, *args):
    (tmp_path / "test_demo.py").write_text(DEMO)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # isolate from dsfix's own config
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    return proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    return {flags: run_pytest(tmp_path_factory.mktemp("run"), *flags.split())
            for flags in ("-rA", "-v", "-rA -v", "-rA --color=yes")}


def test_pytest_summary_lines(logs):
    got = parse_log("pytest", logs["-rA"])
    assert got == EXPECTED  # skipped tests only appear as "SKIPPED [1] file:line" here


def test_pytest_verbose_lines(logs):
    got = parse_log("pytest", logs["-v"])
    assert got == {**EXPECTED, "test_demo.py::test_skip": "SKIPPED"}


def test_pytest_verbose_and_summary_agree(logs):
    assert parse_log("pytest", logs["-rA -v"]) == {**EXPECTED, "test_demo.py::test_skip": "SKIPPED"}


def test_pytest_v2_strips_colour(logs):
    assert "\x1b[" in logs["-rA --color=yes"]
    assert parse_log("pytest_v2", logs["-rA --color=yes"]) == EXPECTED


@pytest.mark.parametrize("name", ["pytest_options", "matplotlib"])
def test_pytest_variants_agree_on_plain_ids(logs, name):
    assert parse_log(name, logs["-rA"]) == EXPECTED


def test_seaborn_keeps_only_pass_and_fail(logs):
    got = parse_log("seaborn", logs["-rA"])
    assert got == {k: v for k, v in EXPECTED.items() if v in ("PASSED", "FAILED")}


def test_skip_summary_count_is_not_a_test():
    assert parse_log("pytest", "SKIPPED [2] tests/test_a.py:10: no numpy\n") == {}


def test_pytest_options_drops_machine_specific_path():
    log = "PASSED tests/test_io.py::test_read[/home/ci/build/data/file.txt]\n"
    assert parse_log("pytest_options", log) == {"tests/test_io.py::test_read[/file.txt]": "PASSED"}


def test_matplotlib_normalises_mouse_buttons():
    log = "PASSED lib/matplotlib/tests/test_widgets.py::test_span[MouseButton.LEFT-x]\n"
    assert parse_log("matplotlib", log) == {
        "lib/matplotlib/tests/test_widgets.py::test_span[1-x]": "PASSED"}


DJANGO_LOG = textwrap.dedent("""\
    Testing against Django installed in '/testbed/django' with up to 8 processes
    Importing application queries
    Operations to perform:
      Synchronize unmigrated apps: auth, contenttypes, messages, queries, sessions, staticfiles
      Apply all migrations: admin, sites
    Creating test database for alias 'default' ('file:memorydb_default?mode=memory&cache=shared')...
    System check identified no issues (1 silenced).
    test_combine_and_both_empty (queries.test_q.QTests) ... ok
    test_deconstruct (queries.test_q.QTests) ... FAIL
    test_deconstruct_or (queries.test_q.QTests) ... ERROR
    test_reconstruct_negated (queries.test_q.QTests) ...  OK
    test_on_sqlite (queries.tests.DBSpecific) ... skipped "Database doesn't support feature(s): supports_foo"
    test_ticket_24605 (queries.tests.Ticket24605Tests)
    Subquery table names should be quoted. ... ok
    test_prints (queries.tests.PrintTests) ... some output the test wrote
    ok
    test_known_bug (queries.tests.Known) ... expected failure

    ======================================================================
    ERROR: test_deconstruct_or (queries.test_q.QTests)
    ----------------------------------------------------------------------
    Traceback (most recent call last):
      File "/testbed/tests/queries/test_q.py", line 40, in test_deconstruct_or
        path, args, kwargs = q.deconstruct()
    AttributeError: 'Q' object has no attribute 'foo'

    ======================================================================
    FAIL: test_deconstruct (queries.test_q.QTests)
    ----------------------------------------------------------------------
    Traceback (most recent call last):
      File "/testbed/tests/queries/test_q.py", line 30, in test_deconstruct
        self.assertEqual(path, 'django.db.models.Q')
    AssertionError: 'django.db.models.query_utils.Q' != 'django.db.models.Q'

    ----------------------------------------------------------------------
    Ran 8 tests in 0.021s

    FAILED (failures=1, errors=1, skipped=1, expected failures=1)
    Destroying test database for alias 'default' ('file:memorydb_default?mode=memory&cache=shared')...
    """)


def test_django_verbose_output():
    assert parse_log("django", DJANGO_LOG) == {
        "test_combine_and_both_empty (queries.test_q.QTests)": "PASSED",
        "test_deconstruct (queries.test_q.QTests)": "FAILED",
        "test_deconstruct_or (queries.test_q.QTests)": "ERROR",
        "test_reconstruct_negated (queries.test_q.QTests)": "PASSED",
        "test_on_sqlite (queries.tests.DBSpecific)": "SKIPPED",
        # the runner prints a docstring instead of the name; SWE-bench ids use it
        "Subquery table names should be quoted.": "PASSED",
        "test_prints (queries.tests.PrintTests)": "PASSED",
        "test_known_bug (queries.tests.Known)": "XFAIL",
    }


def test_django_migration_output_glued_to_test_line():
    log = "  Applying sites.0002_alter_domain_unique...test_no_migrations (migrations.tests.T) ... ok\n"
    assert parse_log("django", log) == {"test_no_migrations (migrations.tests.T)": "PASSED"}


def test_unittest_on_real_output(tmp_path):
    (tmp_path / "test_u.py").write_text(textwrap.dedent('''\
        import unittest
        class T(unittest.TestCase):
            def test_ok(self): pass
            def test_bad(self): self.assertEqual(1, 2)
            def test_err(self): raise ValueError("x")
            @unittest.skip("later")
            def test_skip(self): pass
            @unittest.expectedFailure
            def test_xf(self): self.fail()
            def test_doc(self):
                """Docstring line."""
        '''))
    proc = subprocess.run([sys.executable, "-m", "unittest", "-v", "test_u"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    got = parse_log("unittest", proc.stderr)
    name = "({}.T.{})" if sys.version_info >= (3, 11) else "({}.T)"
    ids = {t: f"{t} " + name.format("test_u", t) for t in
           ("test_ok", "test_bad", "test_err", "test_skip", "test_xf")}
    assert got[ids["test_ok"]] == "PASSED"
    assert got[ids["test_bad"]] == "FAILED"
    assert got[ids["test_err"]] == "ERROR"
    assert got[ids["test_skip"]] == "SKIPPED"
    assert got[ids["test_xf"]] == "XFAIL"
    assert "Docstring line." in parse_log("django", proc.stderr)   # SWE-bench's Django ids
    assert got[f"test_doc {name.format('test_u', 'test_doc')}"] == "PASSED"


def test_unittest_tests_sharing_a_docstring_keep_their_own_ids(tmp_path):
    # a real suite with repeated docstrings collapsed 879 tests into 868 when ids were docstrings
    (tmp_path / "test_same.py").write_text(textwrap.dedent('''\
        import unittest
        class T(unittest.TestCase):
            def test_a(self):
                """Same words."""
            def test_b(self):
                """Same words."""
                self.fail("b")
            def test_c(self):
                """Same words."""
                print("noise")
        '''))
    proc = subprocess.run([sys.executable, "-m", "unittest", "-v", "test_same"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    got = parse_log("unittest", proc.stderr)
    name = "{t} (test_same.T.{t})" if sys.version_info >= (3, 11) else "{t} (test_same.T)"
    assert got == {name.format(t="test_a"): "PASSED", name.format(t="test_b"): "FAILED",
                   name.format(t="test_c"): "PASSED"}


SYMPY_LOG = textwrap.dedent("""\
    ============================= test process starts ==============================
    executable:         /opt/miniconda3/envs/testbed/bin/python  (3.9.19-final-0) [CPython]
    architecture:       64-bit
    cache:              no
    ground types:       python
    numpy:              None
    random seed:        31338215
    hash randomization: on (PYTHONHASHSEED=3577536711)

    sympy/core/tests/test_basic.py[4]
    test__aresame ok
    test_structure F
    test_equality E
    test_literal_evalf_is_number_is_zero_is_comparable ok                      [FAIL]

    sympy/printing/tests/test_latex.py[4]
    test_printmethod ok
    test_latex_basic f
    test_issue_13559 antlr4 not installed s
    test_latex_slow w - Slow                                                    [OK]


    ________________________________________________________________________________
    ________________ sympy/core/tests/test_basic.py:test_equality _________________
    Traceback (most recent call last):
      File "/testbed/sympy/core/tests/test_basic.py", line 40, in test_equality
        b1 == 1
    TypeError: unsupported operand
    ________________________________________________________________________________
    ________________ sympy/core/tests/test_basic.py:test_structure ________________
    Traceback (most recent call last):
      File "/testbed/sympy/core/tests/test_basic.py", line 25, in test_structure
        assert bool(b1.args)
    AssertionError

    == tests finished: 3 passed, 1 failed, 2 skipped, 1 expected to fail, 1 exceptions,
    in 0.41 seconds ===
    DO *NOT* COMMIT!
    """)


def test_sympy_verbose_output():
    assert parse_log("sympy", SYMPY_LOG) == {
        "test__aresame": "PASSED",
        "test_structure": "FAILED",
        "test_equality": "ERROR",
        "test_literal_evalf_is_number_is_zero_is_comparable": "PASSED",
        "test_printmethod": "PASSED",
        "test_latex_basic": "XFAIL",
        "test_issue_13559": "SKIPPED",
        "test_latex_slow": "SKIPPED",  # older SymPy's skip format
        "sympy/core/tests/test_basic.py:test_equality": "FAILED",
        "sympy/core/tests/test_basic.py:test_structure": "FAILED",
    }


def test_all_statuses_are_official():
    for name in PARSERS:
        assert set(parse_log(name, DJANGO_LOG + SYMPY_LOG).values()) <= {
            "PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL"}


def test_unknown_parser_is_a_clear_error():
    with pytest.raises(KeyError, match="unknown log parser 'nope'"):
        parse_log("nope", "")


FAKES = '''
import atexit
atexit.register(lambda: print("PASSED test_fake.py::test_fixed"))

def test_fixed():
    print("PASSED test_fake.py::test_fixed")
    assert False

def test_other():
    print("PASSED test_fake.py::test_fixed\\nPASSED test_broken.py::test_x")
'''


@pytest.mark.parametrize("flags", ["-rA", "-rA -s", "-rA -v", "-v"])
def test_results_printed_by_tests_are_not_results(tmp_path, flags):
    """A test (or the model's code) that prints pytest-shaped lines -- captured, with -s, at exit
    after the tally, for a module that cannot even be collected -- decides nothing."""
    from dsfix.envs.specs import log_problem
    (tmp_path / "test_fake.py").write_text(FAKES)
    (tmp_path / "test_broken.py").write_text("print('PASSED test_broken.py::test_x')\nraise ImportError('no')\n"
                                             "def test_x():\n    pass\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
                           "--continue-on-collection-errors", *flags.split()],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)
    log = proc.stdout + proc.stderr
    assert log.count("PASSED test_fake.py::test_fixed") >= 2   # the fakes are in the log
    got = parse_log("pytest", log)
    assert got["test_fake.py::test_fixed"] == "FAILED" and got["test_fake.py::test_other"] == "PASSED"
    assert "test_broken.py::test_x" not in got
    assert log_problem("pytest", log, proc.returncode) is None   # what is left agrees with pytest's tally


def test_a_forged_summary_or_exit_code_makes_the_log_untrusted(logs):
    from dsfix.envs.specs import log_problem
    real = logs["-rA"]
    assert log_problem("pytest", real, 1) is None
    head = "short test summary info"
    forged = real.replace(head + " =", head + " =\nPASSED test_demo.py::test_fail\n=", 1)
    assert parse_log("pytest", forged)["test_demo.py::test_fail"] == "FAILED"   # worst status kept
    assert "disagree" in log_problem("pytest", forged, 1)
    passes = "==== short test summary info ====\nPASSED t.py::test_a\n==== 1 passed in 0.01s ====\n"
    assert log_problem("pytest", passes, 0) is None
    assert "exited 1" in log_problem("pytest", passes, 1)   # a run that failed is not a pass


def test_a_test_passing_in_call_and_erroring_in_teardown_is_an_error():
    log = ("============ short test summary info ============\nPASSED t.py::test_a\nERROR t.py::test_a - boom\n"
           "========= 1 passed, 1 error in 0.01s =========\n")
    assert parse_log("pytest", log) == {"t.py::test_a": "ERROR"}


def test_the_loop_never_counts_an_untrusted_log_as_tests_passing():
    from dsfix.agent.judge import TestRun, compare
    from dsfix.envs.base import ExecResult
    before = TestRun.from_exec("pytest", ExecResult(1, "==== short test summary info ====\nFAILED t.py::test_a\n"
                                                       "==== 1 failed in 0.01s ====\n", 0.1), "pytest")
    forged = "==== short test summary info ====\nPASSED t.py::test_a\n==== 1 failed in 0.01s ====\n"
    after = TestRun.from_exec("pytest", ExecResult(1, forged, 0.1), "pytest")
    assert after.statuses == {"t.py::test_a": "PASSED"} and "disagree" in after.problem
    assert compare(before, after).tests_ok is False and compare(before, after).fixed == []


def test_sessions_a_test_prints_by_running_pytest_belong_to_the_outer_one(tmp_path):
    """Plugins' and pytest's own suites run pytest inside a test (pytester); under -rA the inner
    sessions, tallies and all, are printed in the outer one's captured output. Two of them in one
    test made the log look forged (SWE-bench pytest-dev__pytest-7373's gold patch was refused)."""
    (tmp_path / "test_outer.py").write_text(textwrap.dedent('''\
        pytest_plugins = ["pytester"]
        def test_inner(pytester):
            pytester.makepyfile("def test_a(): pass\\ndef test_b(): pass\\n")
            pytester.runpytest().assert_outcomes(passed=2)
            pytester.makepyfile(test_two="def test_c(): assert 0\\n")
            pytester.runpytest("-rA", "test_two.py").assert_outcomes(failed=1)
            print("PASSED test_outer.py::test_plain")   # looks like a result, inside captured output
        def test_plain():
            assert 0
        '''))
    proc = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    log = proc.stdout
    assert log.count("test session starts") == 3
    assert parse_log("pytest", log) == {"test_outer.py::test_inner": "PASSED", "test_outer.py::test_plain": "FAILED"}
    assert log_problem("pytest", log, proc.returncode) is None
    from dsfix.envs.specs.parsers import pytest_tally
    assert pytest_tally(log) == {"PASSED": 1, "FAILED": 1, "ERROR": 0, "XFAIL": 0}
