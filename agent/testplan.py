"""Which tests answer which question, and how their results are read.

The detected suite runs once before any change (the baseline, which the preflight reads). An
attempt first runs only the tests related to the files it changed, against the baseline's results
for those files: a wrong patch is sent back in seconds. A patch that passes them is judged by the
whole suite, once, before it may be called verified.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, replace
from pathlib import Path

from dsfix.envs.specs.junit import JUNIT_PATH, junit_args
from dsfix.envs.specs.unittest_results import unittest_command

from .judge import TestRun

_SHELL = re.compile(r"[;&|<>`$()\n]")


@dataclass
class TestPlan:
    __test__ = False
    command: str | None        # the suite as detected (or given)
    parser: str | None
    source: str                # where the command came from, said to the user
    files_arg: bool = False    # test files may be appended to run only those
    scope: str = "all"         # "related": the suite is the tests related to the localized files
    junit: bool = False        # results from pytest's JUnit XML instead of its log
    files: list[str] | None = None   # scope "related": the test files the suite is narrowed to
    unittest_results: bool = False   # `python -m unittest`: results from dsfix's runner, not the log
    junit_times: bool = False  # a JUnit report only for each file's seconds (results from the log)

    def command_for(self, files: list[str] | None = None) -> str:
        """The shell command for the whole suite (``files`` None) or for those test files."""
        cmd = self.command or ""
        files = files or self.files
        if self.is_pytest() and (files or self.junit):
            # one module that cannot import must not hide the others' results (on SWE-bench rows
            # the whole suite runs as the harness runs it)
            cmd += " --continue-on-collection-errors"
        if files:
            cmd += " " + shlex.join(files)
        if self.unittest_results:
            return unittest_command(cmd) or cmd
        return f"{cmd} {junit_args()}" if self.junit or self.junit_times else cmd

    def shown(self, files: list[str] | None = None) -> str:
        """The command as the user reads it: without the JUnit options or the runner dsfix adds."""
        return replace(self, junit=False, junit_times=False, unittest_results=False).command_for(files)

    def is_pytest(self) -> bool:
        return bool(self.parser and self.parser.startswith("pytest") and self.command
                    and "pytest" in self.command)

    def fast_files(self, repo: Path, changed: list[str], baseline: TestRun | None) -> list[str] | None:
        """Test files for an attempt's quick check, or None: then the attempt runs the suite.
        Only files the baseline has results for, under the same names (pytest node ids; a rootdir
        elsewhere names them differently): a file with no baseline to compare with, or a red one
        misread as new failures, would send a good patch back."""
        if not self.files_arg or not simple_pytest(self.command) or baseline is None:
            return None   # files appended to a compound command would land after its last part
        known = {t.split("::")[0] for t in baseline.statuses if "::" in t}
        from .related import is_test_module, related_tests
        files = [f for f in changed if is_test_module(repo, f)] + related_tests(repo, changed)
        fast = [f for f in dict.fromkeys(files) if f in known]
        if not fast or set(fast) >= (set(self.files) if self.files else known):
            return None   # nothing to narrow to, or nothing left out: the suite answers at once
        if fast_share(fast, baseline) > FAST_SHARE_MAX:
            return None   # its tests are most of the suite's time: the suite answers at once
        return fast


# A quick check whose tests take more than this share of the suite's own test time is skipped: a
# patch it passes runs the suite right after (pylint's test_self.py is most of its related tests').
FAST_SHARE_MAX = 0.5


def fast_share(files: list[str], baseline: TestRun) -> float:
    """The share of the baseline's test time (each test's own seconds, from its JUnit report) that
    ``files`` took; 0 without per-file times. pytest's start-up, paid by either run, is left out, so a
    quick check is skipped only where the tests themselves make it nearly the suite."""
    times = baseline.file_seconds
    total = sum(times.values())
    return sum(times.get(f, 0.0) for f in files) / total if total > 0 else 0.0


def junit_seconds(xml: str, known: set[str] | frozenset[str] = frozenset()) -> dict[str, float]:
    """Seconds per test file from a JUnit report; {} from one that cannot be read (times only
    decide whether a quick check is worth running)."""
    from dsfix.envs.specs.junit import read_junit
    try:
        return read_junit(xml, known)[1]
    except ValueError:
        return {}


def simple_pytest(command: str | None) -> bool:
    """One plain pytest call (no shell operators), so options may be appended to it."""
    if not command or _SHELL.search(command):
        return False
    try:
        tokens = shlex.split(command)
    except ValueError:
        return False
    from dsfix.envs.specs.runners import pytest_args
    return pytest_args(tokens) is not None


__all__ = ["TestPlan", "simple_pytest", "JUNIT_PATH"]
