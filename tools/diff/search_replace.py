"""Aider-style SEARCH/REPLACE blocks, matched with the same content matcher as diffs."""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from .apply import check_syntax, resolve_path
from .hunks import patch_text
from .datatypes import ApplyResult, Hunk, HunkFailure, Line, PatchError
from .parse import split_diff_lines

# markers start in column 0: indented "=======" lines are reST underlines in docstrings
_SEARCH = re.compile(r"^<{5,9}\s*SEARCH\s*$")
_DIVIDE = re.compile(r"^={7}\s*$")
_REPLACE = re.compile(r"^>{5,9}\s*REPLACE\s*$")


_UDIFF = re.compile(r"^(@@|--- |\+\+\+ |diff --git )", re.M)


def detect_format(text: str) -> str:
    """"search_replace" when the text has SEARCH blocks and no diff markers, else "udiff"."""
    has_sr = any(_SEARCH.match(ln) for ln in text.splitlines())
    return "search_replace" if has_sr and not _UDIFF.search(text) else "udiff"


def parse_search_replace(text: str) -> list[tuple[str, list[str], list[str]]]:
    """(path, search lines, replace lines) per block; PatchError if none or malformed."""
    lines, blocks, path, i = split_diff_lines(text), [], None, 0
    last_path_line = None
    while i < len(lines):
        if not _SEARCH.match(lines[i]):
            cand = _path_of(lines[i])
            last_path_line = cand or last_path_line
            i += 1
            continue
        path = last_path_line or path
        if path is None:
            raise PatchError(f"SEARCH block at line {i + 1} has no file path before it")
        search, replace, i = _block(lines, i + 1)
        blocks.append((path, search, replace))
        last_path_line = None
    if not blocks:
        raise PatchError("no SEARCH/REPLACE blocks found")
    return blocks


def _block(lines: list[str], i: int) -> tuple[list[str], list[str], int]:
    search: list[str] = []
    replace: list[str] = []
    part = "search"
    while i < len(lines):
        ln = lines[i]
        i += 1
        if part == "search" and _DIVIDE.match(ln):
            part = "replace"
        elif part == "replace" and _REPLACE.match(ln):
            return search, replace, i
        else:
            (search if part == "search" else replace).append(ln)
    raise PatchError("unterminated SEARCH/REPLACE block (missing '=======' or '>>>>>>> REPLACE')")


def _path_of(line: str) -> str | None:
    """A line that is just a file name (possibly decorated with `, *, #, or a colon)."""
    s = line.strip().strip("`*#:").strip()
    if not s or s.startswith("```") or " " in s or not re.search(r"[./]", s):
        return None
    return s if re.match(r"^[\w./\\-]+$", s) else None


def block_hunk(search: list[str], replace: list[str]) -> Hunk:
    """The block as a hunk: common lines become context, so they can be fuzzy."""
    out: list[Line] = []
    sm = SequenceMatcher(None, search, replace, autojunk=False)
    for op, i1, i2, j1, j2 in sm.get_opcodes():
        if op == "equal":
            out += [Line(" ", s) for s in search[i1:i2]]
            continue
        out += [Line("-", s) for s in search[i1:i2]]
        out += [Line("+", s) for s in replace[j1:j2]]
    return Hunk(old_start=None, lines=out)


def apply_search_replace(text: str, read_file) -> ApplyResult:
    """Apply blocks in order (each sees the previous ones' result); all or nothing."""
    overlay: dict[str, str | None] = {}
    originals: dict[str, str | None] = {}
    failures: list[HunkFailure] = []
    notes: list[str] = []
    counter: dict[str, int] = {}
    for raw, search, replace in parse_search_replace(text):
        def read(p):
            if p not in overlay and p not in originals:
                originals[p] = read_file(p)
            return overlay.get(p, originals.get(p))
        path = resolve_path(raw, read)
        counter[path] = counter.get(path, 0) + 1
        new = _apply_block(path, read(path), search, replace, counter[path], failures, notes)
        if new is not None:
            overlay[path] = new
    check_syntax(overlay, originals, failures, notes)
    ok = not failures
    return ApplyResult(ok, dict(overlay) if ok else {}, failures, notes)


def _apply_block(path, current, search, replace, k, failures, notes) -> str | None:
    body = "".join(s + "\n" for s in replace)
    if not any(s.strip() for s in search):
        if current is None or not current.strip():
            return body
        notes.append(f"block {k} of {path} has an empty SEARCH: appended at end of file")
        return current + ("" if current.endswith("\n") else "\n") + body
    if current is None:
        failures.append(HunkFailure(path, k, "file does not exist (an empty SEARCH creates it)"))
        return None
    sub: list[HunkFailure] = []
    sub_notes: list[str] = []
    new = patch_text(path, current, [block_hunk(search, replace)], sub, sub_notes)
    failures += [HunkFailure(f.path, k, f.message) for f in sub]
    notes += [n.replace("hunk 1 of", f"block {k} of", 1) for n in sub_notes]
    return new
