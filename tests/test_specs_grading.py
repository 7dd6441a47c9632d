"""grade() follows SWE-bench's report rules."""

import subprocess
import sys

from dsfix.envs.specs import grade, parse_log

F2P = ["tests/test_a.py::test_fixed", "tests/test_a.py::test_param[x y]"]
P2P = ["tests/test_a.py::test_old", "tests/test_b.py::test_other"]


def statuses(**overrides):
    base = {t: "PASSED" for t in F2P + P2P}
    base.update({k.replace("__", "::"): v for k, v in overrides.items()})
    return base


def test_resolved_when_everything_passes():
    g = grade(statuses(), F2P, P2P)
    assert g.resolved and g.status == "RESOLVED_FULL"
    report = g.report()
    assert report["FAIL_TO_PASS"] == {"success": F2P, "failure": []}
    assert report["PASS_TO_PASS"] == {"success": P2P, "failure": []}
    assert report["FAIL_TO_FAIL"] == report["PASS_TO_FAIL"] == {"success": [], "failure": []}


def test_one_f2p_failing_is_partial_not_resolved():
    sm = statuses()
    sm[F2P[0]] = "FAILED"
    g = grade(sm, F2P, P2P)
    assert not g.resolved and g.status == "RESOLVED_PARTIAL"
    assert g.report()["FAIL_TO_PASS"] == {"success": F2P[1:], "failure": F2P[:1]}


def test_missing_test_counts_as_failure():
    sm = statuses()
    del sm[F2P[1]]
    g = grade(sm, F2P, P2P)
    assert not g.resolved
    assert g.report()["FAIL_TO_PASS"]["failure"] == [F2P[1]]


def test_p2p_broken_is_not_resolved():
    sm = statuses()
    sm[P2P[1]] = "ERROR"
    g = grade(sm, F2P, P2P)
    assert not g.resolved and g.status == "RESOLVED_NO"
    assert g.report()["PASS_TO_PASS"] == {"success": P2P[:1], "failure": P2P[1:]}


def test_xfail_counts_as_passing():
    sm = statuses()
    sm[F2P[0]] = "XFAIL"
    assert grade(sm, F2P, P2P).resolved


def test_skipped_fails_f2p_but_maintains_p2p():
    sm = statuses()
    sm[P2P[0]] = "SKIPPED"
    assert grade(sm, F2P, P2P).resolved
    sm[F2P[0]] = "SKIPPED"
    g = grade(sm, F2P, P2P)
    assert not g.resolved and g.report()["FAIL_TO_PASS"]["failure"] == [F2P[0]]


def test_truncated_expected_id_matches_by_prefix():
    # Older SWE-bench parsers cut ids at a space, so datasets hold "test_param[x".
    sm = statuses()
    truncated = "tests/test_a.py::test_param[x"
    assert grade(sm, [truncated], []).resolved
    sm[F2P[1]] = "FAILED"
    assert not grade(sm, [truncated], []).resolved
    # ambiguous prefixes that disagree on the outcome do not match
    sm["tests/test_a.py::test_param[x z]"] = "PASSED"
    assert grade(sm, [truncated], []).report()["FAIL_TO_PASS"]["failure"] == [truncated]


def test_optional_to_fail_lists_do_not_affect_resolution():
    sm = statuses(tests__test_c_py__test_flaky="FAILED")
    g = grade(sm, F2P, P2P, fail_to_fail=["tests/test_c.py::test_flaky"],
              pass_to_fail=["tests/test_b.py::test_other"])
    assert g.resolved
    assert g.report()["FAIL_TO_FAIL"] == {"success": [], "failure": ["tests/test_c.py::test_flaky"]}
    assert g.report()["PASS_TO_FAIL"] == {"success": ["tests/test_b.py::test_other"], "failure": []}


def test_empty_lists_resolve():
    assert grade({}, [], []).resolved


def test_end_to_end_from_a_real_pytest_run(tmp_path):
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_fix.py").write_text(
        "def test_fixed():\n    assert True\n\ndef test_kept():\n    assert True\n"
        "def test_broken():\n    assert False\n")
    out = subprocess.run([sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60).stdout
    sm = parse_log("pytest", out)
    assert grade(sm, ["test_fix.py::test_fixed"], ["test_fix.py::test_kept"]).resolved
    g = grade(sm, ["test_fix.py::test_fixed"], ["test_fix.py::test_broken"])
    assert not g.resolved and g.report()["PASS_TO_PASS"]["failure"] == ["test_fix.py::test_broken"]
