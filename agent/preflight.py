"""Before any model call: can the tests run at all? A broken environment is the user's to fix
(exit 2), never a patch's failure, and never worth a token.

Also the reproduction's own errors: a script that dies on an import, a syntax error or a name of
its own making shows nothing about the bug.
"""
from __future__ import annotations

import re

from .judge import TestRun

# Most telling first: the module's name beats "conftest could not be loaded".
_MISSING = [re.compile(r"ModuleNotFoundError: No module named '[^']+'"),
            re.compile(r"ImportError: cannot import name '[^']+'[^\n]*"),
            re.compile(r"ImportError while loading conftest '[^']+'")]
_LAST_EXC = re.compile(r"^(?P<type>\w*(?:Error|Exception))\b:?", re.M)
OWN_ERRORS = ("ImportError", "ModuleNotFoundError", "SyntaxError", "IndentationError", "NameError")
HINT = ("install what it needs through dsfix.yaml (env.packages: [...], env.setup: [\"pip install -e .\"]) "
        "or give the command with --test-cmd")


def why_tests_cannot_run(run: TestRun | None) -> str | None:
    """Why the baseline run shows the tests cannot run, or None. Red tests are fine (that is what
    a bug looks like); no test at all, only collection errors, or a timeout are not."""
    if run is None:
        return None
    if run.timed_out:
        return f"the tests timed out before any change ({run.seconds:.0f}s): {run.command}"
    ran = [s for t, s in run.statuses.items() if s != "ERROR" or "::" in t]
    if ran:
        return None
    missing = next((m for rx in _MISSING if (m := rx.search(run.tail))), None)
    if missing:
        return f"the tests cannot start: {missing.group(0)} (`{run.command}`); {HINT}"
    if run.statuses:   # only modules that failed to collect
        first = sorted(run.statuses)[0]
        return f"no test could be collected ({len(run.statuses)} collection errors, first {first}): {run.command}; {HINT}"
    if run.exit_code == 5 or "no tests ran" in run.tail or "collected 0 items" in run.tail:
        return f"the test command collected no tests: {run.command}; give the right one with --test-cmd"
    if run.exit_code != 0 and not run.statuses and run.command and _parsed_runner(run):
        return f"the test command exited {run.exit_code} with no test result: {run.command}; {HINT}"
    return None


def _parsed_runner(run: TestRun) -> bool:
    # only runners whose results dsfix reads; for other commands the exit code is the result
    return "pytest" in run.command or "unittest" in run.command


def own_error(output: str, issue: str) -> str | None:
    """The exception a reproduction died of when it is one of the script's own making (an import,
    syntax or name error the issue does not talk about), else None."""
    found = _LAST_EXC.findall(output)
    if not found:
        return None
    last = found[-1]
    if last in OWN_ERRORS and last not in issue:
        return last
    return None
