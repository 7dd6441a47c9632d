"""Which kind of file a path is: source, test, docs/examples, or vendored."""
from __future__ import annotations

import re

_TEST_RE = re.compile(r"(^|/)(tests?|testing)/|(^|/)(test_[^/]*|[^/]*_tests?|conftest)\.py$")
_DOC_RE = re.compile(r"(^|/)(docs?|examples?|benchmarks?|asv_bench|tutorials?|scripts?)/")
# `requests/packages/urllib3` style vendoring counts, a top-level packages/ does not
_VENDOR_RE = re.compile(r"(^|/)(_?vendor(ed)?|externals?|extern|third_party)/|./packages/")


def category(path: str) -> str:
    if _VENDOR_RE.search(path):
        return "vendor"
    if _TEST_RE.search(path):
        return "test"
    if _DOC_RE.search(path) or path.startswith("setup.py"):
        return "doc"
    return "src"
