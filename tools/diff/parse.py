"""A forgiving unified-diff parser for model-written patches.

Line numbers and counts are kept only as hints: counts decide where a hunk ends
when they are plausible, never whether it is valid.
"""
from __future__ import annotations

import re

from .elisions import is_marker, parse_marker
from .datatypes import FilePatch, Hunk, Line, PatchError
from .paths import check_rel_path, clean_header_path

_RANGE_OLD = re.compile(r"-(\d+)(?:,(\d+))?")
_RANGE_NEW = re.compile(r"\+(\d+)(?:,(\d+))?")


def split_diff_lines(text: str) -> list[str]:
    """Lines of a diff without their endings; CRLF diffs become plain lines."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines]


def parse_diff(text: str) -> list[FilePatch]:
    """Parse a unified diff into file patches; raise PatchError when nothing usable is found."""
    if "\x00" in text:
        raise PatchError("binary patch (NUL bytes) is not supported")
    patches = _Parser(split_diff_lines(text)).run()
    changing = [fp for fp in patches if fp.hunks or fp.is_new or fp.is_delete or _renames(fp)]
    # a file whose hunks change nothing is kept when others change something: its lines
    # are checked against the file (apply.py), for '+' lines written without their '+'
    useful = [fp for fp in patches if fp.inert or any(fp is c for c in changing)]
    if not changing:
        raise PatchError("no file changes found in patch (no '@@' hunks or file headers)")
    for fp in useful:
        if fp.old_path is None and fp.new_path is None:
            raise PatchError("a file section is both created and deleted (/dev/null on both sides)")
        for p in (fp.old_path, fp.new_path):
            if p is not None:
                check_rel_path(p)
    return useful


def _renames(fp: FilePatch) -> bool:
    if fp.old_path is None or fp.new_path is None:
        return False
    return _unprefix(fp.old_path) != _unprefix(fp.new_path)


def _unprefix(p: str | None) -> str | None:
    return p[2:] if p and p[:2] in ("a/", "b/") else p


def _same_file(cur: FilePatch, old: str | None, new: str | None) -> bool:
    """Do ---/+++ names belong to the preceding 'diff --git' header?"""
    known = {_unprefix(cur.old_path), _unprefix(cur.new_path)} - {None}
    return not known or bool(known & ({_unprefix(old), _unprefix(new)} - {None}))


def _git_header_paths(rest: str) -> tuple[str | None, str | None]:
    """Split 'a/x b/x' from a 'diff --git' line, preferring the split with equal halves."""
    rest = rest.strip()
    if rest.startswith('"'):
        m = re.match(r'("(?:[^"\\]|\\.)*")\s+(.*)$', rest)
        if m:
            return clean_header_path(m.group(1)), clean_header_path(m.group(2))
    splits = [m.start() for m in re.finditer(r" (?=b/)", rest)] or \
        [m.start() for m in re.finditer(" ", rest)]
    for k in splits:
        old, new = rest[:k], rest[k + 1:]
        if old[2:] == new[2:]:
            return old, new
    if splits:
        return rest[:splits[0]], rest[splits[0] + 1:]
    return None, None


class _Parser:
    def __init__(self, lines: list[str]):
        self.lines = lines
        self.i = 0
        self.out: list[FilePatch] = []
        self.cur: FilePatch | None = None
        self.cur_has_header = False  # saw ---/+++ for the current file

    def run(self) -> list[FilePatch]:
        while self.i < len(self.lines):
            self._step(self.lines[self.i])
        return self.out

    def _new_file(self, old, new) -> FilePatch:
        self.cur = FilePatch(old_path=old, new_path=new)
        self.cur_has_header = False
        self.out.append(self.cur)
        return self.cur

    def _step(self, line: str) -> None:
        if line.startswith("GIT binary patch") or re.match(r"^Binary files .* differ$", line):
            raise PatchError(f"binary patches are not supported: {line[:80]!r}")
        if line.startswith("diff --git "):
            self._new_file(*_git_header_paths(line[len("diff --git "):]))
        elif self._is_file_header(self.i):
            self._file_header()
            return
        elif line.startswith("@@"):
            self._hunk()
            return
        elif self.cur is not None and not self.cur_has_header:
            self._git_meta(self.cur, line)
        self.i += 1

    def _git_meta(self, cur: FilePatch, line: str) -> None:
        if re.match(r"^(new file|deleted file|old|new) mode 1[26]0000", line):
            raise PatchError(f"symlink and submodule entries are not supported: {line!r}")
        if line.startswith("new file mode"):
            cur.is_new, cur.old_path = True, None
        elif line.startswith("deleted file mode"):
            cur.is_delete, cur.new_path = True, None
        elif line.startswith(("rename from ", "copy from ")):
            cur.old_path = clean_header_path(line.split(" ", 2)[2])
            cur.explicit_rename, cur.copy = True, line.startswith("copy")
        elif line.startswith(("rename to ", "copy to ")):
            cur.new_path = clean_header_path(line.split(" ", 2)[2])

    def _is_file_header(self, i: int) -> bool:
        ls = self.lines
        return (ls[i].startswith("--- ") and i + 1 < len(ls) and ls[i + 1].startswith("+++ "))

    def _file_header(self) -> None:
        old = clean_header_path(self.lines[self.i][4:])
        new = clean_header_path(self.lines[self.i + 1][4:])
        cur = self.cur
        if cur is None or self.cur_has_header or cur.hunks or not _same_file(cur, old, new):
            cur = self._new_file(old, new)
        elif not cur.explicit_rename:
            # git's own header names are less reliable than ---/+++ (spaces in names)
            cur.old_path = None if cur.is_new else old
            cur.new_path = None if cur.is_delete else new
        if old is None:
            cur.is_new, cur.old_path = True, None
        if new is None:
            cur.is_delete, cur.new_path = True, None
        self.cur_has_header = True
        self.i += 2

    def _hunk(self) -> None:
        if self.cur is None:
            raise PatchError(f"hunk without a file header at diff line {self.i + 1}")
        header = self.lines[self.i]
        head = re.match(r"^@+(.*?)(@@|$)", header)
        assert head is not None  # the line starts with "@@" (_step) and `$` ends every other case
        inner = head.group(1)
        m_old, m_new = _RANGE_OLD.search(inner), _RANGE_NEW.search(inner)
        hunk = Hunk(old_start=int(m_old.group(1)) if m_old else None)
        counts = None
        if m_old and m_new:
            counts = [int(m_old.group(2) or 1), int(m_new.group(2) or 1)]
        self.i += 1
        self._hunk_body(hunk, counts)
        if any(ln.tag != " " or ln.no_newline for ln in hunk.lines):
            self.cur.hunks.append(hunk)
        elif hunk.lines:
            self.cur.inert.append(hunk)  # changes nothing; checked against the file

    def _hunk_body(self, hunk: Hunk, counts: list[int] | None) -> None:
        uncounted_blank: list[bool] = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            remain = counts is not None and (counts[0] > 0 or counts[1] > 0)
            if self._ends_hunk(remain):
                break
            tag = line[:1]
            if line.startswith("\\"):
                if hunk.lines:
                    hunk.lines[-1].no_newline = True
                self.i += 1
                continue
            if tag in (" ", "-", "+"):
                text = line[1:]
            elif line == "" or remain or parse_marker(line) or is_marker(line):
                # blank or unprefixed context (models drop the space), or an elision marker at
                # column 0 (dsfix's own excerpt marker or a model's `# ...`): the hunk goes on after it
                tag, text = " ", line
            else:
                break
            hunk.lines.append(Line(tag, text))
            uncounted_blank.append(line == "" and not remain)
            if counts is not None:
                counts[0] -= tag != "+"
                counts[1] -= tag != "-"
            self.i += 1
        while hunk.lines and uncounted_blank and uncounted_blank[-1]:
            hunk.lines.pop()
            uncounted_blank.pop()

    def _ends_hunk(self, remain: bool) -> bool:
        line = self.lines[self.i]
        if line.startswith(("@@", "diff --git ", "GIT binary patch", "```")):
            return True  # ``` closes a markdown fence around the diff
        if self._is_file_header(self.i):
            nxt = self.lines[self.i + 2] if self.i + 2 < len(self.lines) else "@@"
            # "--- x" / "+++ y" inside a counted hunk may be body text: only a
            # following "@@" (or end of counts) makes it a header
            return nxt.startswith("@@") or not remain
        return not remain and line.startswith(("diff ", "Index: ", "====="))
