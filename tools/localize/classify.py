"""Which kind of file a path is: source, test, docs/examples, or vendored."""
from __future__ import annotations

import re

_TEST_RE = re.compile(r"(^|/)(tests?|testing)/|(^|/)(test_[^/]*|[^/]*_tests?|conftest)\.py$")
_DOC_RE = re.compile(r"(^|/)(docs?|examples?|benchmarks?|asv_bench|tutorials?|scripts?)/")
# `requests/packages/urllib3` style vendoring counts, a top-level packages/ does not
_VENDOR_RE = re.compile(r"(^|/)(_?vendor(ed)?|externals?|extern|third_party)/|./packages/")
# Other languages (never applied to .py files, so Python paths classify as they always did)
_TEST_X_RE = re.compile(r"(^|/)(__tests__|__mocks__|spec|e2e|testdata|src/test)/"
                        r"|\.(test|spec)\.[cm]?[jt]sx?$|_test\.go$|[A-Z]\w*Tests?\.java$"
                        r"|(^|/)Test[A-Z]\w*\.java$")
_VENDOR_X_RE = re.compile(r"(^|/)(node_modules|bower_components)/")


def category(path: str) -> str:
    other = not path.endswith(".py")
    if _VENDOR_RE.search(path) or (other and _VENDOR_X_RE.search(path)):
        return "vendor"
    if _TEST_RE.search(path) or (other and _TEST_X_RE.search(path)):
        return "test"
    if _DOC_RE.search(path) or path.startswith("setup.py"):
        return "doc"
    return "src"
