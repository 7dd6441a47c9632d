"""Decide from test results whether a patch is proven, and say what changed."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

from dsfix.envs.base import ExecResult
from dsfix.envs.specs.grading import PASSING


@dataclass
class TestRun:
    __test__ = False   # not a pytest test class, whatever its name
    command: str
    exit_code: int
    seconds: float
    timed_out: bool
    statuses: dict[str, str] = field(default_factory=dict)   # test id -> PASSED/FAILED/...
    tail: str = ""
    problem: str = ""        # why the log's results cannot be trusted (then it proves nothing)

    results_from: str = "exit code"   # "junit", "log" (a text parser) or "exit code"
    file_seconds: dict[str, float] = field(default_factory=dict)   # test file -> its tests' seconds (JUnit)

    @classmethod
    def from_exec(cls, command: str, r: ExecResult, parser: str | None, junit: str | None = None,
                  known: set[str] | frozenset[str] = frozenset(), unittest: str | None = None) -> "TestRun":
        """``junit``: the JUnit XML report the run wrote, when it was asked for one (then the
        results come from it, checked against the log's own tally; a report that cannot be read
        leaves the log to read); ``unittest``: likewise the file dsfix's unittest runner wrote;
        else the log's text. ``known``: the repository's files."""
        if unittest is not None:
            return cls._from_unittest(command, r, parser, unittest)
        if junit is not None:
            from dsfix.envs.specs.junit import junit_problem, read_junit
            try:
                statuses, seconds = read_junit(junit, known)
            except ValueError as e:
                run = cls.from_exec(command, r, parser)
                run.results_from = f"log (the JUnit report: {e})"
                return run
            problem = junit_problem(statuses, r.output, r.exit_code) or ""
            return cls(command, r.exit_code, r.seconds, r.timed_out, statuses, r.output[-6000:], problem, "junit",
                       seconds)
        statuses: dict[str, str] = {}
        problem = ""
        if parser:
            from dsfix.envs.specs import log_problem, parse_log
            try:
                statuses = parse_log(parser, r.output)
            except Exception:  # noqa: BLE001 - an unknown log shape falls back to the exit code
                statuses = {}
            problem = log_problem(parser, r.output, r.exit_code) or ""
            if not statuses and r.exit_code == 0 and not problem and (parser.startswith("pytest") or parser == "unittest"):
                # read as "passed" it would verify anything: a run whose results cannot be read proves nothing
                problem = "the run exited 0 but no test result could be read from its output"
        return cls(command, r.exit_code, r.seconds, r.timed_out, statuses, r.output[-6000:], problem,
                   "log" if statuses else "exit code")

    @classmethod
    def _from_unittest(cls, command: str, r: ExecResult, parser: str | None, text: str) -> "TestRun":
        from dsfix.envs.specs.unittest_results import parse_results, results_problem
        try:
            statuses, ran = parse_results(text)
        except ValueError as e:
            run = cls.from_exec(command, r, parser)
            run.results_from = f"log ({e})"
            return run
        problem = results_problem(statuses, ran, r.output) or ""
        if not statuses and r.exit_code == 0 and not problem:
            problem = "the run exited 0 but no test ran"
        return cls(command, r.exit_code, r.seconds, r.timed_out, statuses, r.output[-6000:], problem, "unittest")

    def only(self, files: list[str]) -> "TestRun":
        """The results of the tests in ``files`` (pytest node ids, or a file's collection error)."""
        keep = set(files)
        statuses = {t: s for t, s in self.statuses.items() if t.split("::")[0] in keep}
        return replace(self, statuses=statuses)

    def failing(self) -> list[str]:
        return sorted(self.failed())

    def passed(self) -> set[str]:
        return {t for t, s in self.statuses.items() if s in PASSING}

    def failed(self) -> set[str]:
        return {t for t, s in self.statuses.items() if s not in PASSING and s != "SKIPPED"}

    def summary(self) -> dict:
        d = asdict(self)
        d["counts"] = {s: list(self.statuses.values()).count(s) for s in sorted(set(self.statuses.values()))}
        return d


@dataclass
class Verdict:
    tests_ok: bool
    regressions: list[str]
    fixed: list[str]
    excused: list[str] = field(default_factory=list)   # passed before, fail now, named obsolete


def compare(before: TestRun | None, after: TestRun, obsolete: frozenset[str] = frozenset()) -> Verdict:
    """Tests are fine when nothing that passed before fails now and every failure is pre-existing.
    ``obsolete``: tests the issue makes obsolete (they assert the behaviour it asks to change):
    their failing is excused, and said."""
    if after.timed_out or after.problem:
        return Verdict(False, [], [])
    if after.statuses and all(s == "ERROR" for s in after.statuses.values()):
        return Verdict(False, [], [])   # collection errors only (pytest interrupted): no test ran
    if before is not None and before.statuses and not after.statuses:
        return Verdict(False, [], [])   # tests that had results have none now: nothing ran
    if before is None or not (before.statuses and after.statuses):
        return Verdict(after.exit_code == 0, [], [])
    lost = before.passed() - after.passed()   # includes tests that vanished
    excused = sorted(lost & obsolete)
    regressions = sorted(lost - obsolete)
    fixed = before.failed() & after.passed()
    for f in before.failed() - after.failed():
        if "::" not in f:   # a module that could not be collected before: its tests that pass now
            fixed |= {t for t in after.passed() if t.split("::")[0] == f}
    fixed = sorted(fixed)
    new_failures = after.failed() - before.failed() - obsolete
    return Verdict(not regressions and not new_failures, regressions, fixed, excused)
