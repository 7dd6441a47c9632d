"""Before any model call: can the tests run at all? A broken environment is the user's to fix
(exit 2), never a patch's failure, and never worth a token.

Also the reproduction's own errors: a script that dies on an import, a syntax error or a name of
its own making shows nothing about the bug.
"""
from __future__ import annotations

import re

from .judge import TestRun

_MISSING = re.compile(r"ModuleNotFoundError: No module named '(?P<name>[^']+)'")
_LAST_EXC = re.compile(r"^(?P<type>\w*(?:Error|Exception))\b:?", re.M)
OWN_ERRORS = ("ImportError", "ModuleNotFoundError", "SyntaxError", "IndentationError", "NameError")
HINT = ("install what it needs through dsfix.yaml (env.packages: [...], env.setup: [\"pip install -e .\"]) "
        "or give the command with --test-cmd")


def why_tests_cannot_run(run: TestRun | None, own_packages: set[str] = frozenset()) -> str | None:
    """Why the baseline run shows the tests cannot run, or None. Red tests are fine (that is what
    a bug looks like), and so are collection errors of the repository's own code: an import that
    fails may be the bug. What is never the bug: a timeout, no test at all, or a module that is not
    installed -- a third-party one, or the repository's own package as a whole (``own_packages``:
    its top-level import names), not one of its submodules."""
    if run is None:
        return None
    if run.timed_out:
        return f"the tests timed out before any change ({run.seconds:.0f}s): {run.command}"
    if any(s != "ERROR" or "::" in t for t, s in run.statuses.items()):
        return None   # some test ran
    for m in _MISSING.finditer(run.tail):
        name = m["name"]
        if name.split(".")[0] not in own_packages or name in own_packages:
            return f"the tests cannot start: {m.group(0)} (`{run.command}`); {HINT}"
    if run.statuses:
        return None   # collection errors of the repository's own code: maybe the bug itself
    if run.exit_code == 5 or "no tests ran" in run.tail or "collected 0 items" in run.tail:
        return f"the test command collected no tests: {run.command}; give the right one with --test-cmd"
    if run.problem and run.exit_code == 0:
        return (f"{run.problem}: {run.command}; give a command whose results dsfix can read "
                "(pytest -rA, unittest -v) with --test-cmd")
    if run.exit_code != 0 and _parsed_runner(run) and not _MISSING.search(run.tail):
        return f"the test command exited {run.exit_code} with no test result: {run.command}; {HINT}"
    return None


def own_packages(files: list[str]) -> set[str]:
    """The top-level import names a repository holds (at its root or under src/)."""
    names = set()
    for rel in files:
        parts = rel.split("/")
        if parts[0] == "src" and len(parts) > 1:
            parts = parts[1:]
        if len(parts) > 1 and parts[-1] == "__init__.py" and len(parts) == 2:
            names.add(parts[0])
        elif len(parts) == 1 and parts[0].endswith(".py"):
            names.add(parts[0][:-3])
    return names


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
