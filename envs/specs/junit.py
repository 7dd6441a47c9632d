"""Test results from pytest's JUnit XML report, as pytest node ids.

For a user's repository dsfix asks pytest for ``--junitxml`` (``junit_family=xunit1``, which
records each test's file) and reads results from it, not from the text log: ids that hold spaces
or brackets, captured output that looks like a result line and a missing ``-rA`` do not matter
there. SWE-bench rows keep the text parsers, whose ids the harness grades by.

The XML is written inside the container by a process that runs the repository's code, so it is
no more trusted than the log: it is parsed with expat (no external entities, no DTD fetches) and
a result that contradicts the log's own tally is not used (``dsfix.agent.judge``).
"""
from __future__ import annotations

import xml.etree.ElementTree as ET

from .parsers import ERROR, FAILED, PASSED, SKIPPED, XFAIL

JUNIT_PATH = ".dsfix/junit.xml"   # relative to the repository root: inside the scratch dir
MAX_BYTES = 50_000_000


def junit_args(path: str = JUNIT_PATH) -> str:
    # xunit1 keeps the file attribute that turns classname back into a node id
    return f"--junitxml={path} -o junit_family=xunit1"


def parse_junit(xml_text: str, known: set[str] | frozenset[str] = frozenset()) -> dict[str, str]:
    """Node id -> PASSED/FAILED/ERROR/SKIPPED/XFAIL. ``known``: the repository's files, to tell a
    dotted classname's module from its classes. Raises ValueError on XML that is not a report, and
    when two different tests would get one id (then the log is read instead)."""
    return read_junit(xml_text, known)[0]


def read_junit(xml_text: str, known: set[str] | frozenset[str] = frozenset()) -> tuple[dict[str, str], dict[str, float]]:
    """(statuses as parse_junit, seconds per test file: its tests' own times, set-up and
    tear-down included, collection and pytest's start-up not)."""
    if len(xml_text) > MAX_BYTES:
        raise ValueError("JUnit report too large")
    if "<!DOCTYPE" in xml_text or "<!ENTITY" in xml_text:
        raise ValueError("JUnit report with a DTD")   # pytest never writes one
    try:
        root = ET.fromstring(xml_text)
    except ET.ParseError as e:
        raise ValueError(f"JUnit report is not XML: {e}") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise ValueError(f"not a JUnit report (root <{root.tag}>)")
    out: dict[str, str] = {}
    names: dict[str, tuple[str, str]] = {}
    seconds: dict[str, float] = {}
    for case in root.iter("testcase"):
        classname, name = case.get("classname") or "", case.get("name") or ""
        node = node_id(classname, name, case.get("file"), known)
        if names.setdefault(node, (classname, name)) != (classname, name):
            raise ValueError(f"two tests map to one id {node!r} ({classname}.{name}, {'.'.join(names[node])})")
        status, old = _status(case), out.get(node)
        out[node] = status if old is None or _rank(status) > _rank(old) else old
        file = node.split("::")[0]
        seconds[file] = seconds.get(file, 0.0) + _seconds(case.get("time"))
    return out, seconds


def _seconds(text: str | None) -> float:
    try:
        return max(0.0, float(text or 0))
    except ValueError:
        return 0.0   # a time the report garbles costs nothing, decides nothing


def node_id(classname: str, name: str, file: str | None, known: set[str] | frozenset[str] = frozenset()) -> str:
    """``tests.test_a.TestX`` + ``test_y[1]`` -> ``tests/test_a.py::TestX::test_y[1]``. The classname
    is the node's own module and classes, dotted; ``file`` is where the test function is defined,
    which for a method inherited from a mixin elsewhere is another file. A collection error has no
    classname and the module's dotted name as its name."""
    if not classname:
        return file or name.replace(".", "/") + ".py"
    parts = classname.split(".")
    cuts = [k for k in range(len(parts), 0, -1) if "/".join(parts[:k]) + ".py" in known]
    if not cuts and file and file.endswith(".py") and classname.startswith(file[:-3].replace("/", ".")):
        cuts = [file[:-3].count("/") + 1]
    if not cuts:   # classes are CapWords, modules are not: the usual case
        cuts = [next((k for k, p in enumerate(parts) if k and p[:1].isupper()), len(parts))]
    k = cuts[0]
    return "::".join(["/".join(parts[:k]) + ".py", *parts[k:], name])


def _status(case: ET.Element) -> str:
    tags = {child.tag: child for child in case}
    if "error" in tags:
        return ERROR
    if "failure" in tags:
        return FAILED
    if "skipped" in tags:
        kind = tags["skipped"].get("type") or ""
        return XFAIL if kind == "pytest.xfail" else SKIPPED
    return PASSED


def _rank(status: str) -> int:
    # a test reported twice (passed in call, error in teardown) keeps its worst status
    return {PASSED: 0, XFAIL: 0, SKIPPED: 1, FAILED: 2, ERROR: 3}[status]


def junit_problem(statuses: dict[str, str], log: str, exit_code: int | None) -> str | None:
    """Why the report cannot be trusted beside the log it came with, or None: it lists fewer
    failures, more passes or more errors than pytest's own tally, or the run failed while every
    listed test passed. (A test that passed and then errored in teardown is one ERROR here and
    one pass plus one error in the tally: hence "at most" for passes and errors.)"""
    from .parsers import pytest_tally
    tally = pytest_tally(log)
    counts = {s: list(statuses.values()).count(s) for s in (PASSED, FAILED, ERROR)}
    if tally is not None:
        bad = [s for s in (PASSED, ERROR) if counts[s] > tally[s]]
        bad += [FAILED] if counts[FAILED] != tally[FAILED] else []
        if bad:
            diff = ", ".join(f"{s} {counts[s]} in the report vs {tally[s]} in the tally" for s in bad)
            return f"the JUnit report disagrees with pytest's own tally ({diff})"
    if exit_code not in (None, 0, 5) and statuses and all(s in (PASSED, XFAIL, SKIPPED)
                                                          for s in statuses.values()):
        return f"pytest exited {exit_code} but no test failed in its JUnit report"
    return None
