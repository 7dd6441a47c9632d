"""Grade a test run against FAIL_TO_PASS / PASS_TO_PASS, as SWE-bench does.

Semantics follow ``swebench.harness.grading`` (v5, MIT):
  * passing = PASSED or XFAIL;
  * a test missing from the log is a failure (it did not run, or crashed);
  * F2P: SKIPPED is a failure (skipping is not fixing);
  * P2P: SKIPPED counts as maintained (skipping is not a regression);
  * resolved = every F2P and every P2P test succeeds.
Expected ids cut at a space by older parsers (``test_x[a``) are matched by
prefix when all candidates agree on pass/fail, as SWE-bench does (issue #290).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .parsers import PASSED, SKIPPED, XFAIL

# What counts as a passing test, here and in the loop's verdicts (agent/judge.py), as SWE-bench counts it.
PASSING = frozenset({PASSED, XFAIL})


def _lookup(test: str, statuses: dict[str, str]) -> str | None:
    """Status of ``test``; tolerates a truncated parametrized id."""
    if test in statuses:
        return statuses[test]
    if test.count("[") > test.count("]"):  # only truncated pytest ids
        hits = [v for k, v in statuses.items() if k.startswith(test)]
        if hits and len({v in PASSING for v in hits}) == 1:
            return hits[0]
    return None


def _succeeds(test: str, statuses: dict[str, str], skip_ok: bool) -> bool:
    status = _lookup(test, statuses)
    return status in PASSING or (skip_ok and status == SKIPPED)


def _split(tests: list[str], statuses: dict[str, str], skip_ok: bool) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"success": [], "failure": []}
    for test in tests:
        out["success" if _succeeds(test, statuses, skip_ok) else "failure"].append(test)
    return out


@dataclass
class Grade:
    FAIL_TO_PASS: dict[str, list[str]]
    PASS_TO_PASS: dict[str, list[str]]
    FAIL_TO_FAIL: dict[str, list[str]] = field(default_factory=lambda: _split([], {}, False))
    PASS_TO_FAIL: dict[str, list[str]] = field(default_factory=lambda: _split([], {}, False))

    @property
    def resolved(self) -> bool:
        return not self.FAIL_TO_PASS["failure"] and not self.PASS_TO_PASS["failure"]

    @property
    def status(self) -> str:
        """RESOLVED_FULL / RESOLVED_PARTIAL / RESOLVED_NO, as SWE-bench names them."""
        f2p = self.FAIL_TO_PASS
        if self.resolved:
            return "RESOLVED_FULL"
        partial = f2p["success"] and f2p["failure"] and not self.PASS_TO_PASS["failure"]
        return "RESOLVED_PARTIAL" if partial else "RESOLVED_NO"

    def report(self) -> dict[str, dict[str, list[str]]]:
        """The ``tests_status`` block of SWE-bench's report.json."""
        return {k: {"success": list(v["success"]), "failure": list(v["failure"])}
                for k, v in (("FAIL_TO_PASS", self.FAIL_TO_PASS),
                             ("PASS_TO_PASS", self.PASS_TO_PASS),
                             ("FAIL_TO_FAIL", self.FAIL_TO_FAIL),
                             ("PASS_TO_FAIL", self.PASS_TO_FAIL))}


def grade(statuses: dict[str, str], fail_to_pass: list[str], pass_to_pass: list[str],
          fail_to_fail: list[str] = (), pass_to_fail: list[str] = ()) -> Grade:
    """Official SWE-bench grading of one run's parsed ``statuses``."""
    return Grade(
        FAIL_TO_PASS=_split(list(fail_to_pass), statuses, skip_ok=False),
        PASS_TO_PASS=_split(list(pass_to_pass), statuses, skip_ok=True),
        # informational only, never part of `resolved`; SKIPPED is not success here
        FAIL_TO_FAIL=_split(list(fail_to_fail), statuses, skip_ok=False),
        PASS_TO_FAIL=_split(list(pass_to_fail), statuses, skip_ok=False),
    )
