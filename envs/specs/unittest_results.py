"""Test results from unittest's own result objects, for ``python -m unittest ...`` on users' repositories.

dsfix copies a small runner into the container (``RUNNER_PATH``) and runs it in place of
``-m unittest`` with the same arguments: it is ``python -m unittest`` (same command line, same
output, the working directory first on ``sys.path``) with a ``TextTestResult`` that also writes
each outcome to ``RESULTS_PATH`` as it happens, one JSON object a line, and at the end how many
tests ran. The text log is no longer read for results, so a test that prints ``x ... ok`` or a
failing subTest cannot make up or hide a test.

Ids are ``str(test)``: what ``-v`` prints and what ``parsers.parse_unittest_names`` reads
(``test_x (pkg.mod.Class.test_x)``; ``setUpClass (pkg.mod.Class)`` for a class-level error), so a
baseline read either way compares. A failing subTest marks its test (the worst outcome wins),
whose id the text parser lost. SWE-bench rows keep the text parsers.

The file is written by a process that runs the repository's code, so it is checked against the
log's own ``Ran N tests`` line; a file that is unfinished or unreadable leaves the log to read.
"""
from __future__ import annotations

import json
import re
import shlex

from .parsers import ERROR, FAILED, PASSED, SKIPPED, XFAIL

RUNNER_PATH = ".dsfix/unittest_run.py"     # relative to the repository root: the scratch dir
RESULTS_PATH = ".dsfix/unittest.jsonl"
MAX_BYTES = 50_000_000
_SHELL = re.compile(r"[;&|<>`$()\n]")
_PYTHON = re.compile(r"(^|/)python(\d+(\.\d+)?)?$")

# Runs on the project's Python (3.7 and later): standard library only.
RUNNER = '''"""dsfix: `python -m unittest` that also records each outcome (dsfix.envs.specs.unittest_results)."""
import json, os, sys, unittest

_OUT = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "unittest.jsonl"), "w")


def _rec(**kw):
    _OUT.write(json.dumps(kw) + "\\n")
    _OUT.flush()


class Result(unittest.TextTestResult):
    def addSuccess(self, test):
        super().addSuccess(test); _rec(id=str(test), status="PASSED")

    def addFailure(self, test, err):
        super().addFailure(test, err); _rec(id=str(test), status="FAILED")

    def addError(self, test, err):
        super().addError(test, err); _rec(id=str(test), status="ERROR")

    def addSkip(self, test, reason):
        super().addSkip(test, reason); _rec(id=str(test), status="SKIPPED")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err); _rec(id=str(test), status="XFAIL")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test); _rec(id=str(test), status="FAILED")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            _rec(id=str(test), status="FAILED" if issubclass(err[0], test.failureException) else "ERROR")

    def stopTestRun(self):
        super().stopTestRun(); _rec(ran=self.testsRun)


class Runner(unittest.TextTestRunner):
    resultclass = Result


if __name__ == "__main__":
    sys.path[0] = os.getcwd()   # as `python -m unittest`: the working directory, not .dsfix/
    unittest.main(module=None, argv=["python -m unittest"] + sys.argv[1:], testRunner=Runner)
'''


def unittest_command(command: str | None) -> str | None:
    """``python -m unittest ARGS`` (one plain call) with dsfix's runner in place of ``-m unittest``;
    None for anything else (then the log is read)."""
    if not command or _SHELL.search(command):
        return None
    try:
        tokens = shlex.split(command)
    except ValueError:
        return None
    for i, tok in enumerate(tokens[:-1]):
        if tok == "-m" and tokens[i + 1] == "unittest":
            head = [t for t in tokens[:i] if "=" not in t or t.startswith("-")]
            if head and _PYTHON.search(head[0]):
                return shlex.join([*tokens[:i], RUNNER_PATH, *tokens[i + 2:]])
            return None
    return None


_RANK = {PASSED: 0, XFAIL: 0, SKIPPED: 1, FAILED: 2, ERROR: 3}


def parse_results(text: str) -> tuple[dict[str, str], int]:
    """(test id -> status, tests run). Raises ValueError on a file that is not the runner's or that
    the run did not finish (killed, ``os._exit``): then the log is read instead."""
    if len(text) > MAX_BYTES:
        raise ValueError("unittest result file too large")
    out: dict[str, str] = {}
    ran = None
    for n, line in enumerate(text.splitlines(), 1):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            raise ValueError(f"unittest result file: line {n} is not JSON") from None
        if not isinstance(rec, dict):
            raise ValueError(f"unittest result file: line {n} is not a record")
        if "ran" in rec:
            ran = rec["ran"]
            continue
        test, status = rec.get("id"), rec.get("status")
        if not isinstance(test, str) or status not in _RANK:
            raise ValueError(f"unittest result file: line {n} is not a result")
        old = out.get(test)
        out[test] = status if old is None or _RANK[status] > _RANK[old] else old
    if not isinstance(ran, int):
        raise ValueError("unittest result file: the run did not finish")
    return out, ran


_RAN = re.compile(r"^Ran (\d+) tests? in ", re.M)


def results_problem(statuses: dict[str, str], ran: int, log: str) -> str | None:
    """Why the file cannot be trusted beside its log, or None: the log's last ``Ran N tests``
    (unittest's own count) differs from the file's."""
    counts = _RAN.findall(log)
    if counts and int(counts[-1]) != ran:
        return f"unittest's result file says {ran} tests ran, its log says {counts[-1]}"
    return None
