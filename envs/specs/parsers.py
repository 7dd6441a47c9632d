"""Test-log parsers: turn a runner's output into {test id: status}.

dsfix's own code, written to reproduce the semantics of SWE-bench's
``swebench.harness.log_parsers.python`` (MIT) so that FAIL_TO_PASS /
PASS_TO_PASS ids from the dataset match the ids parsed here.  Where SWE-bench
drops information for no benefit (pytest ids with spaces, the last test of a
SymPy file, unittest "expected failure") we keep it: extra ids never change a
grade, because grading only looks up the ids it is given.
"""

from __future__ import annotations

import re
from typing import Callable

PASSED, FAILED, ERROR, SKIPPED, XFAIL = "PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL"
STATUSES = (PASSED, FAILED, ERROR, SKIPPED, XFAIL)

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\[\d+m")
_ESC = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")   # real escape sequences only: "[1m]" may be a test id
_CONTROL = str.maketrans("", "", "".join(chr(c) for c in range(1, 32)))
# "SKIPPED [2] tests/x.py:10: reason" -- the [2] is a count, not a test id.
_SKIP_COUNT = re.compile(r"^SKIPPED \[\d+\] ")
# Verbose (-v) line: "tests/a.py::test_x[p] PASSED   [ 50%]" or "... SKIPPED (why)".
_VERBOSE = re.compile(
    r"^(?P<id>\S+\.py(?:::[^\s\[]+)*(?:\[.*\])?)"
    r" (?P<st>PASSED|FAILED|ERROR|SKIPPED|XFAIL)(?: \(.*\))?(?:\s+\[\s*\d+%\])?$"
)


def _summary_id(rest: str) -> str:
    """The node id at the start of a -rA summary line's remainder.

    Ids are space-free except inside a parametrization ``[...]``; the summary
    may append `` - <message>``.  SWE-bench cuts at the first space; we keep
    the whole bracket so "test[a b]" stays one id.
    """
    first = rest.split(" ", 1)[0]
    if "[" not in first or first.endswith("]"):
        return first
    ends = [m.end() for m in re.finditer(r"\]", rest)]
    for end in ends:  # prefer a "]" that ends the line or precedes " - message"
        if rest[end:] == "" or rest[end:].startswith(" - "):
            return rest[:end]
    return next((rest[:e] for e in ends if rest[e:].startswith(" ")), first)


def _summary_line(line: str) -> tuple[str, str] | None:
    """(id, status) for a pytest short-summary line, else None."""
    if _SKIP_COUNT.match(line):
        return None
    for status in STATUSES:
        if line.startswith(status + " "):
            rest = line[len(status) + 1:].strip()
            return (_summary_id(rest), status) if rest else None
    return None


# pytest's own frame lines: a session's start, the -rA section's header, and the final tally.
_SESSION = re.compile(r"^=+ test session starts =+$")
_HEADER = re.compile(r"^=+ short test summary info =+$")
_FINAL = re.compile(r"^=+ (?P<tally>(?:\d+ \w+(?:, )?)+|no tests ran)(?: in [\d.]+s(?: \([^)]*\))?)? =+$")
_TALLY = {"passed": PASSED, "failed": FAILED, "error": ERROR, "errors": ERROR, "xfailed": XFAIL}


def pytest_sections(text: str) -> list[tuple[list[str], str | None, list[str]]]:
    """Per pytest session in ``text``: (the -rA summary lines, the final tally line, the lines
    before the summary). Only what pytest itself writes between its last "short test summary
    info" header and the final tally counts as a result: lines a test prints (captured output,
    -s output, an atexit print after the tally) fall outside it. A session without a header (a
    fragment of a log, a run cut short) gives all its lines as both: there is nothing better.
    A session printed inside another (the captured output of a test that runs pytest, as plugins'
    and pytest's own suites do) belongs to the one around it: only the outer tally counts."""
    if "\x1b" in text:   # a config forcing --color=yes colours the result lines too
        text = _ESC.sub("", text)
    sessions: list[list[str]] = [[]]
    depth = 0   # sessions open: a test that runs pytest itself (pytester) prints whole sessions
    for line in text.splitlines():
        if _SESSION.match(line):
            if depth == 0 and sessions[-1]:
                sessions.append([])
            depth += 1
        elif depth and _FINAL.match(line.strip()):
            depth -= 1
        sessions[-1].append(line)
    out = []
    for lines in sessions:
        finals = [i for i, l in enumerate(lines) if _FINAL.match(l.strip())]
        end = finals[-1] if finals else len(lines)
        heads = [i for i, l in enumerate(lines[:end]) if _HEADER.match(l.strip())]
        if heads:
            out.append((lines[heads[-1] + 1:end], lines[end] if finals else None, lines[:heads[-1]]))
        else:
            out.append((lines[:end], lines[end] if finals else None, lines[:end]))
    return out


def parse_pytest(text: str) -> dict[str, str]:
    """pytest ``-rA`` summary lines, plus ``-v`` per-test lines. Where a session's summary lists
    passes (-rA), -v lines add only skips (the summary names skips by file:line, not by id);
    otherwise (pytest's default -rfE) the -v lines fill in what the summary does not list. A test
    reported twice (passed in its call, an error in teardown) keeps its worst status."""
    out: dict[str, str] = {}
    for summary, _final, before in pytest_sections(text):
        listed = [hit for hit in map(_summary_line, summary) if hit]
        for test_id, status in listed:
            out[test_id] = _worst(out.get(test_id), status)
        full = any(status == PASSED for _, status in listed)
        for line in before:
            if m := _VERBOSE.match(line.rstrip()):
                if not full or m["st"] == SKIPPED:
                    out.setdefault(m["id"], m["st"])
    return out


_RANK = {PASSED: 0, XFAIL: 0, SKIPPED: 1, FAILED: 2, ERROR: 3}


def _worst(old: str | None, new: str) -> str:
    return new if old is None or _RANK[new] >= _RANK[old] else old


def pytest_tally(text: str) -> dict[str, int] | None:
    """The counts of pytest's own final tally lines ("3 passed, 1 failed in 0.2s"), summed over the
    sessions in ``text``; None when no session reached its tally."""
    tally, seen = dict.fromkeys(_TALLY.values(), 0), False
    for _summary, final, _before in pytest_sections(text):
        if final is None:
            continue
        seen = True
        for n, word in re.findall(r"(\d+) (\w+)", _FINAL.match(final.strip())["tally"]):
            if word in _TALLY:
                tally[_TALLY[word]] += int(n)
    return tally if seen else None


def pytest_log_problem(text: str, exit_code: int | None = None) -> str | None:
    """Why a pytest log's results cannot be trusted, or None: the summary's lines disagree with
    pytest's own tally, or the exit code says failure while every parsed test passed. Such a run
    proves nothing; it is never a pass."""
    counts = dict.fromkeys(_TALLY.values(), 0)
    tally = dict.fromkeys(_TALLY.values(), 0)
    seen_final = False
    for summary, final, _before in pytest_sections(text):
        if final is None:
            continue
        seen_final = True
        for line in summary:
            hit = _summary_line(line)
            if hit and hit[1] in counts:
                counts[hit[1]] += 1
        if summary:
            for n, word in re.findall(r"(\d+) (\w+)", _FINAL.match(final.strip())["tally"]):
                if word in _TALLY:
                    tally[_TALLY[word]] += int(n)
        else:
            counts = tally   # no -rA summary: nothing to cross-check
    # the categories the summary lists (-rA: all; pytest's default -rfE: failures and errors)
    checked = list(counts) if counts[PASSED] else [k for k in counts if counts[k]]
    bad = [k for k in checked if counts[k] != tally[k]]
    if seen_final and bad:
        diff = ", ".join(f"{k} {counts[k]} listed vs {tally[k]} counted" for k in bad)
        return f"pytest's result lines disagree with its own tally ({diff}): lines were printed, not earned"
    if exit_code not in (None, 0, 5):
        statuses = parse_pytest(text)
        if statuses and all(s in (PASSED, XFAIL, SKIPPED) for s in statuses.values()):
            return f"pytest exited {exit_code} but no test failed in its log"
    return None


def parse_pytest_v2(text: str) -> dict[str, str]:
    """SWE-bench's variant for astropy/scikit-learn/sphinx: strip colour codes."""
    return parse_pytest("\n".join(_ANSI.sub("", l).translate(_CONTROL) for l in text.splitlines()))


_OPTION = re.compile(r"^(.*?)\[(.*)\]$")


def parse_pytest_options(text: str) -> dict[str, str]:
    """SWE-bench's variant for requests/pydicom/pylint.

    Parametrizations that are absolute paths differ per machine, so only the
    last path component is kept: ``test[/tmp/x/data.txt]`` -> ``test[/data.txt]``.
    """
    out: dict[str, str] = {}
    for test_id, status in parse_pytest(text).items():
        m = _OPTION.match(test_id)
        if m and m[2].startswith("/") and not m[2].startswith("//") and "*" not in m[2]:
            test_id = f"{m[1]}[/{m[2].split('/')[-1]}]"
        out[test_id] = status
    return out


def parse_matplotlib(text: str) -> dict[str, str]:
    """SWE-bench's variant: enum reprs in ids vary across versions, use values."""
    text = text.replace("MouseButton.LEFT", "1").replace("MouseButton.RIGHT", "3")
    return parse_pytest(text)


def parse_seaborn(text: str) -> dict[str, str]:
    """SWE-bench's variant: only PASSED and FAILED are recorded."""
    return {k: v for k, v in parse_pytest(text).items() if v in (PASSED, FAILED)}


_UNITTEST_RESULT = {
    "ok": PASSED, "OK": PASSED, "FAIL": FAILED, "ERROR": ERROR,
    "expected failure": XFAIL, "unexpected success": FAILED,
}
_UNITTEST_LINE = re.compile(
    r"^(?P<id>.+?) \.\.\.\s+(?P<st>ok|OK|FAIL|ERROR|expected failure|unexpected success"
    r"|skipped.*)$"
)
_UNITTEST_HEADER = re.compile(r"^(FAIL|ERROR): (.+?)(?: \[.*\]| \(.*=.*\))?$")


def _unittest_status(word: str) -> str:
    return SKIPPED if word.startswith("skipped") else _UNITTEST_RESULT[word]


def _strip_migration(test_id: str) -> str:
    # Django may print "  Applying app.0002_x..." with no newline before the
    # test line (SWE-bench special-cases django-7188); keep the test part.
    if test_id.startswith("Applying ") and "..." in test_id:
        return test_id.split("...", 1)[1].strip()
    return test_id


_UNITTEST_NAME = re.compile(r"^(\w+) \(([\w.]+)\)$")   # "test_x (pkg.mod.Class.test_x)", a docstring follows


def parse_unittest(text: str, docstring_ids: bool = True) -> dict[str, str]:
    """unittest / Django ``runtests.py --verbosity 2`` output.

    ``name (module.Class) ... ok``; a test that prints leaves ``name ... ``
    hanging and its result on a later line.  When a test has a docstring the
    runner prints ``name (module.Class)`` on a line of its own and the docstring's
    first line before `` ... ok``. SWE-bench's Django ids use that text
    (``docstring_ids``); for anyone else it is no id at all: two tests with the
    same docstring would collapse into one, so ``parse_unittest_names`` keeps the name.
    """
    out: dict[str, str] = {}
    pending = None  # test whose " ... " line had no result yet
    named = None    # the "name (module.Class)" line just before a docstring line
    for raw in text.splitlines():
        line = raw.strip()
        if m := _UNITTEST_LINE.match(line):
            test_id = m["id"] if docstring_ids or not named else named
            out[_strip_migration(test_id)] = _unittest_status(m["st"])
            pending = None
        elif " ... " in line:
            pending = line.split(" ... ")[0] if docstring_ids or not named else named
        elif pending and (m := re.match(r"^(ok|FAIL|ERROR|skipped.*)$", line)):
            out[pending] = _unittest_status(m[1])
            pending = None
        if m := _UNITTEST_HEADER.match(line):
            out[m[2]] = FAILED if m[1] == "FAIL" else ERROR
        named = line if _UNITTEST_NAME.match(line) else None
        # A multi-line docstring Django prints across lines; SWE-bench pins it.
        if "--version is equivalent to version" in line:
            out.setdefault("--version is equivalent to version", PASSED)
    return out


def parse_unittest_names(text: str) -> dict[str, str]:
    """unittest ``-v`` output with ``name (module.Class.name)`` ids, docstrings or not."""
    return parse_unittest(text, docstring_ids=False)


# "test_x ok", "test_y F", a skip "test_z why s" (older SymPy: "test_z s - why"),
# and the last test of a file carries the file verdict: "test_w ok      [OK]".
_SYMPY_LINE = re.compile(r"^(test_\w+)(?: .*)? (ok|F|E|f|X|s|w|T|K)(?:\s+\[(?:OK|FAIL)\])?$"
                         r"|^(test_\w+) ([swTK]) - .*$")
_SYMPY_STATUS = {"ok": PASSED, "F": FAILED, "E": ERROR, "f": XFAIL, "X": FAILED}
_SYMPY_SECTION = re.compile(r"^_+ (\S+\.py:\S+) _+$")


def parse_sympy(text: str) -> dict[str, str]:
    """SymPy ``bin/test -C --verbose``: ``test_name ok|F|E|f|s``.

    Failure sections ``___ path.py:test_name ___`` are recorded too, as
    SWE-bench does.  Skips (s, w=slow, T=timeout, K=interrupt) -> SKIPPED.
    """
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if m := _SYMPY_SECTION.match(line):
            out[m[1]] = FAILED
        elif m := _SYMPY_LINE.match(line):
            name, char = (m[1], m[2]) if m[1] else (m[3], m[4])
            out[name] = _SYMPY_STATUS.get(char, SKIPPED)
    return out


PARSERS: dict[str, Callable[[str], dict[str, str]]] = {
    "pytest": parse_pytest,
    "pytest_v2": parse_pytest_v2,
    "pytest_options": parse_pytest_options,
    "matplotlib": parse_matplotlib,
    "seaborn": parse_seaborn,
    "django": parse_unittest,
    "unittest": parse_unittest_names,
    "sympy": parse_sympy,
}


def log_problem(parser: str, text: str, exit_code: int | None = None) -> str | None:
    """Why a log's parsed results cannot be trusted (pytest-family parsers), else None."""
    if parser in ("pytest", "pytest_options", "matplotlib", "seaborn"):
        return pytest_log_problem(text, exit_code)
    if parser == "pytest_v2":
        return pytest_log_problem("\n".join(_ANSI.sub("", l).translate(_CONTROL) for l in text.splitlines()),
                                  exit_code)
    return None


def parse_log(parser: str, text: str) -> dict[str, str]:
    """Map each test id in ``text`` to PASSED/FAILED/ERROR/SKIPPED/XFAIL."""
    try:
        fn = PARSERS[parser]
    except KeyError:
        raise KeyError(f"unknown log parser {parser!r}; known: {sorted(PARSERS)}") from None
    return fn(text)
