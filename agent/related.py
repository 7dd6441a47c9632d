"""Tests that exercise given source files: the loop's regression check when the full suite is too big."""
from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

MAX_FILES = 8  # a focused run; SWE-bench repos' full suites take minutes to hours


def related_tests(repo: Path, sources: list[str]) -> list[str]:
    from dsfix.tools.localize.index import get_index
    idx = get_index(repo)
    wanted = set(sources)
    links = {t: srcs & wanted for t, srcs in idx.test_links.items() if srcs & wanted}
    patterns = test_patterns(repo)
    hits = [t for t in links if is_test_module(repo, t, patterns)]
    stems = {Path(s).stem for s in sources}
    hits.sort(key=lambda t: _closeness(t, links[t], stems))
    return hits[:MAX_FILES]


def _closeness(test: str, linked: set[str], stems: set[str]) -> tuple:
    """The likeliest regression checks first: a test file named after the module (test_foo.py for
    foo.py), then tests that live beside it (its package's tests/ folder: what the module's own
    authors check), then those exercising more of the sources. A central module (sympy/core) is
    imported by hundreds of test files, and the first few in alphabetical order are an arbitrary
    and often slow pick."""
    namesake = _NAMESAKE.sub("", Path(test).stem) in stems
    near = max(_shared_dirs(test, s) for s in linked)
    return (not namesake, -near, -len(linked), test)


def _shared_dirs(a: str, b: str) -> int:
    n = 0
    for x, y in zip(Path(a).parent.parts, Path(b).parent.parts):
        if x != y:
            break
        n += 1
    return n


_TESTS_IN = re.compile(r"^\s*(?:async\s+)?def test|^class Test", re.M)
_NAMESAKE = re.compile(r"^(?:unit)?tests?_|_tests?$")   # test_foo, foo_test, unittest_foo (pylint, astroid)
_DEFAULT_FILES = ("test_*.py", "*_test.py", "*_tests.py")


def test_patterns(repo: Path) -> tuple[str, ...]:
    """The file names the repository's pytest collects: its ``python_files`` (pylint and astroid
    say ``*test_*.py``, so their ``unittest_*.py`` are tests), else pytest's defaults."""
    from dsfix.envs.specs.pytest_ini import pytest_ini_value
    configured = (pytest_ini_value(repo, "python_files") or "").split()
    return tuple(configured) or _DEFAULT_FILES


def is_test_module(repo: Path, rel: str, patterns: tuple[str, ...] | None = None) -> bool:
    """A file the runner collects tests from and that holds some: conftest.py and helpers under
    tests/ (or a testutils module named *_test.py) are not tests, and given to pytest they only
    add an error row to every run."""
    name = Path(rel).name
    if not rel.endswith(".py") or name == "conftest.py":
        return False
    if not any(fnmatch(name, p) for p in (patterns or test_patterns(repo))):
        return False
    try:
        return bool(_TESTS_IN.search((repo / rel).read_text(errors="replace")))
    except OSError:
        return False
