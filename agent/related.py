"""Tests that exercise given source files: the loop's regression check when the full suite is too big."""
from __future__ import annotations

import re
from pathlib import Path

MAX_FILES = 8  # a focused run; SWE-bench repos' full suites take minutes to hours


def related_tests(repo: Path, sources: list[str]) -> list[str]:
    from dsfix.tools.localize.index import get_index
    idx = get_index(repo)
    wanted = set(sources)
    hits = sorted(t for t, srcs in idx.test_links.items() if srcs & wanted and is_test_module(repo, t))
    # A test file named after the module (test_foo.py for foo.py) first: the likeliest regression check.
    stems = {Path(s).stem for s in sources}
    hits.sort(key=lambda t: (Path(t).stem.removeprefix("test_").removesuffix("_test") not in stems, t))
    return hits[:MAX_FILES]


_TESTS_IN = re.compile(r"^\s*(?:async\s+)?def test|^class Test", re.M)


def is_test_module(repo: Path, rel: str) -> bool:
    """A file the runner collects tests from and that holds some: conftest.py and helpers under
    tests/ (or a testutils module named *_test.py) are not tests, and given to pytest they only
    add an error row to every run."""
    name = Path(rel).name
    if not rel.endswith(".py") or name == "conftest.py":
        return False
    if not (name.startswith("test_") or name.endswith("_test.py") or name.endswith("_tests.py")):
        return False
    try:
        return bool(_TESTS_IN.search((repo / rel).read_text(errors="replace")))
    except OSError:
        return False
