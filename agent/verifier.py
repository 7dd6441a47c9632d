"""The verifier: what the tests and the reproduction say about the code, before and after a patch.

It owns every run of the repository's code (baseline, reproduction, related and whole-suite test
runs) and turns them into a verdict; a strategy (agent.loop) decides what to try and talks to the
model. Its runs go through ``run_cmd``, the agent's recording and redacting runner, in ``env``.

Given ``fresh_env``, the runs a verdict rests on (the whole suite, then the reproduction) are made
in a new environment holding only the snapshot and the patch, written from the host. Code the
model wrote has run in the working environment by then (its reproduction, patched code under the
tests), as root: a ``.pth`` in site-packages, a swapped ``git`` or ``pytest``, a forged bytecode
file in an ignored folder, state a script keeps to pass on its second run. None of it reaches the
fresh one. The working environment's runs only decide whether that verdict is worth asking for.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from dsfix.envs.specs.unittest_results import RESULTS_PATH as UT_RESULTS_PATH, RUNNER as UT_RUNNER, \
    RUNNER_PATH as UT_RUNNER_PATH

from .judge import TestRun, Verdict, compare
from .preflight import own_error
from .status import Status
from .testplan import JUNIT_PATH, TestPlan, junit_seconds

REPRO_PATH = ".dsfix/repro.py"
# The repository's own code first (a src/ layout's too), ahead of anything installed in the image.
REPRO_CMD = (f"PYTHONPATH=\"$([ -d src ] && printf %s \"$PWD/src:\")$PWD${{PYTHONPATH:+:$PYTHONPATH}}\" "
             f"python3 {REPRO_PATH}")


@dataclass
class ReproCheck:
    accepted: bool        # fails before any change, and for a reason that is not its own
    exit_code: int
    output: str
    own: str | None = None   # the script's own ImportError/NameError/...: shows nothing about the bug
    timed_out: bool = False


@dataclass
class Check:
    """One patch, judged: ``status`` is set when it is accepted (verified or unverified)."""
    status: Status | None
    message: str = ""
    repro: object = None            # the reproduction's ExecResult after the patch, if there is one
    tests: TestRun | None = None    # the last test run (the whole suite when it got that far)
    verdict: Verdict | None = None
    record: dict = field(default_factory=dict)


class Verifier:
    def __init__(self, env, plan: TestPlan, repo, run_cmd: Callable, files: set[str] | frozenset[str] = frozenset(),
                 fresh_env: Callable | None = None):
        """``repo``: the repository's root on the host (for related tests); ``run_cmd(cmd, kind)``
        runs in ``self.env``; ``files``: the repository's files (JUnit classnames name modules and
        classes alike); ``fresh_env()``: a new environment like ``env``, for the decisive runs."""
        self.env, self.plan, self.repo, self.run_cmd, self.files = env, plan, repo, run_cmd, files
        self.fresh_env = fresh_env
        self.before: TestRun | None = None
        self._baselined = False
        self.has_repro = False
        self.repro_script: str | None = None   # the accepted reproduction, as the model wrote it

    def baseline(self) -> TestRun | None:
        """The tests before any change (run once; the preflight reads it before any model call)."""
        if not self._baselined:
            self.before, self._baselined = self.run_tests(), True
        return self.before

    def use_plan(self, plan: TestPlan) -> None:
        """Another test plan before any patch (a narrower suite): its own baseline, run next."""
        self.plan, self.before, self._baselined = plan, None, False

    def run_tests(self, files: list[str] | None = None) -> TestRun | None:
        """The suite (``files`` None), or only those test files."""
        if not self.plan.command:
            return None
        t0 = time.monotonic()
        xml_wanted = self.plan.junit or self.plan.junit_times
        if xml_wanted:
            self.env.write_file(JUNIT_PATH, None)   # never a report left over from an earlier run
        if self.plan.unittest_results:
            self.env.write_file(UT_RUNNER_PATH, UT_RUNNER)
            self.env.write_file(UT_RESULTS_PATH, None)
        r = self.run_cmd(self.plan.command_for(files), "tests" if files is None else "tests_related")
        xml = self.env.read_file(JUNIT_PATH) if xml_wanted else None
        ut = self.env.read_file(UT_RESULTS_PATH) if self.plan.unittest_results else None
        run = TestRun.from_exec(self.plan.shown(files), r, self.plan.parser, xml if self.plan.junit else None,
                                self.files, unittest=ut)
        if self.plan.junit_times and xml:
            run.file_seconds = junit_seconds(xml, self.files)
        self.env.timings.add("test_run" if files is None else "test_run_related", time.monotonic() - t0)
        return run

    # -- the reproduction --------------------------------------------------------------
    def try_repro(self, script: str, issue: str) -> ReproCheck:
        """Write and run a reproduction on the unchanged code; kept only when it fails as it should."""
        self.env.write_file(REPRO_PATH, script)
        r = self.run_cmd(REPRO_CMD, "repro")
        own = own_error(r.output, issue) if r.exit_code != 0 else None
        ok = r.exit_code != 0 and not r.timed_out and not own
        self.has_repro, self.repro_script = ok, script if ok else None
        return ReproCheck(ok, r.exit_code, r.output, own, r.timed_out)

    def drop_repro(self) -> None:
        self.has_repro, self.repro_script = False, None
        self.env.write_file(REPRO_PATH, None)

    # -- a patch -------------------------------------------------------------------------
    def check(self, files: list[str], syntax: list[str], obsolete: dict[str, str] | None = None,
              changes: dict[str, str | None] | None = None) -> Check:
        """Reproduction, then the tests related to the changed ``files``, then (only for a patch
        that passed those) the whole suite: a verdict always rests on the whole suite.
        ``obsolete``: tests the model says the issue makes obsolete (id -> why); their failing is
        excused only for a patch something else proves (the reproduction, or fixed tests).
        ``changes``: the patch's files from the host (path -> text, None: deleted); with them and
        ``fresh_env``, the suite and the reproduction that decide run in a fresh environment."""
        obsolete = frozenset(obsolete or ())
        fresh = self.fresh_env is not None and changes is not None
        repro = self.run_cmd(REPRO_CMD, "repro") if self.has_repro else None
        repro_ok = repro is None or repro.exit_code == 0
        fast = self.plan.fast_files(self.repo, files, self.before)
        after, verdict = self._judge(fast, obsolete) if fast or not fresh else (None, None)
        record = {"related": fast, "seconds": after.seconds if after else 0}
        gate = (not fast or verdict.tests_ok) and repro_ok and not syntax
        if fresh and gate:
            after, verdict, repro = self._decide_fresh(changes, obsolete)
            repro_ok = repro is None or repro.exit_code == 0
            record.update(fresh=True, suite_seconds=after.seconds if after else 0)
        elif fast and gate:
            after, verdict = self._judge(None, obsolete)
            record["suite_seconds"] = after.seconds
        c = Check(None, repro=repro, tests=after, verdict=verdict, record=record)
        proven = self.has_repro or bool(verdict and verdict.fixed)
        excused = verdict.excused if verdict else []
        if not syntax and repro_ok and (verdict is None or verdict.tests_ok) and (proven or not excused):
            c.status = Status.VERIFIED if proven else Status.UNVERIFIED
            c.message = self._message(proven, verdict, after)
            if excused:
                c.message += (f"; {len(excused)} test(s) the model named obsolete (they assert what the "
                              f"issue changes) now fail: {', '.join(excused)}")
        return c

    def _decide_fresh(self, changes: dict[str, str | None], obsolete: frozenset[str]):
        """(suite run, verdict, reproduction run) in a new environment with only the snapshot and
        ``changes``: the suite first, so the reproduction (the model's code) runs after it."""
        work, env = self.env, self.fresh_env()
        for kind, seconds in env.timings.spent.items():   # its start counts in the run's timings
            work.timings.spent.setdefault(kind, []).extend(seconds)
        env.timings = work.timings
        try:
            self.env = env
            for path, text in changes.items():
                env.write_file(path, text)
            after, verdict = self._judge(None, obsolete)
            repro = None
            if self.has_repro:
                env.write_file(REPRO_PATH, self.repro_script)
                repro = self.run_cmd(REPRO_CMD, "repro")
            return after, verdict, repro
        finally:
            self.env = work
            env.close()

    def _judge(self, files: list[str] | None, obsolete: frozenset[str] = frozenset()):
        """(run, verdict) for the suite or for those test files, against the baseline's results."""
        after = self.run_tests(files)
        if after is None:
            return None, None
        before = self.before.only(files) if files and self.before else self.before
        return after, compare(before, after, obsolete)

    def _message(self, proven: bool, verdict: Verdict | None, after: TestRun | None) -> str:
        ran = f" ({len(after.statuses)} tests ran)" if after and after.statuses else ""
        if self.has_repro:
            return f"the reproduction now passes and no test regressed{ran}"
        if proven:
            return f"{len(verdict.fixed)} failing test(s) now pass, none regressed{ran}"
        return "tests pass, but nothing failed before the patch, so nothing proves the fix"
