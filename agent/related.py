"""Tests that exercise given source files: the loop's regression check when the full suite is too big."""
from __future__ import annotations

from pathlib import Path

MAX_FILES = 8  # a focused run; SWE-bench repos' full suites take minutes to hours


def related_tests(repo: Path, sources: list[str]) -> list[str]:
    from dsfix.tools.localize.index import get_index
    idx = get_index(repo)
    wanted = set(sources)
    hits = sorted(t for t, srcs in idx.test_links.items() if srcs & wanted)
    # A test file named after the module (test_foo.py for foo.py) first: the likeliest regression check.
    stems = {Path(s).stem for s in sources}
    hits.sort(key=lambda t: (Path(t).stem.removeprefix("test_").removesuffix("_test") not in stems, t))
    return hits[:MAX_FILES]
