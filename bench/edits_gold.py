"""Gold patches as editable hunks: parse a SWE-bench gold diff, render it back, the
ways models render them (no headers, no counts, abbreviated counts)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace


@dataclass
class Hunk:
    old_start: int
    new_start: int
    section: str
    body: list[str]  # lines with their ' ', '-', '+', '\' prefix
    dco: int = 0     # how far the rendered counts are off (wrong_counts)
    dcn: int = 0

    def counts(self) -> tuple[int, int]:
        old = sum(ln[:1] in " -" for ln in self.body)
        new = sum(ln[:1] in " +" for ln in self.body)
        return old, new


@dataclass
class FileDiff:
    meta: list[str]          # diff --git, mode, rename lines
    old: str | None          # with a/ prefix or None
    new: str | None
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def path(self) -> str | None:
        """The repository path the file patch edits (None for a new file)."""
        return self.old[2:] if self.old else None


def parse_gold(patch: str) -> list[FileDiff]:
    files: list[FileDiff] = []
    lines = patch.split("\n")
    i = 0
    while i < len(lines):
        ln = lines[i]
        if ln.startswith("diff --git"):
            files.append(FileDiff([ln], None, None))
        elif ln.startswith("--- ") and lines[i + 1].startswith("+++ "):
            files[-1].old = None if ln[4:] == "/dev/null" else ln[4:]
            files[-1].new = None if lines[i + 1][4:] == "/dev/null" else lines[i + 1][4:]
            i += 1
        elif ln.startswith("@@"):
            m = re.match(r"@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)", ln)
            files[-1].hunks.append(Hunk(int(m.group(1)), int(m.group(2)), m.group(3), []))
        elif files and files[-1].hunks and ln[:1] in (" ", "-", "+", "\\"):
            files[-1].hunks[-1].body.append(ln)
        elif files and not files[-1].hunks and ln:
            files[-1].meta.append(ln)
        i += 1
    return files


def render(files: list[FileDiff], *, git_header=True, prefixes=True, counts="ok") -> str:
    """counts: "ok", "wrong" (off by each hunk's dco/dcn), "none" (`@@` / `@@ ... @@`),
    "abbrev" (`@@ -N +M @@`, the start lines only)."""
    out = []
    for f in files:
        if git_header:
            out += f.meta
        strip = (lambda p: p) if prefixes else (lambda p: p[2:] if p and p[:2] in ("a/", "b/") else p)
        out.append("--- " + (strip(f.old) if f.old else "/dev/null"))
        out.append("+++ " + (strip(f.new) if f.new else "/dev/null"))
        for h in f.hunks:
            o, n = h.counts()
            if counts == "none":
                out.append("@@ ... @@" if len(out) % 2 else "@@")
            elif counts == "abbrev":
                out.append(f"@@ -{h.old_start} +{h.new_start} @@{h.section}")
            else:
                if counts == "wrong":
                    o, n = o + h.dco, n + h.dcn
                out.append(f"@@ -{h.old_start},{o} +{h.new_start},{n} @@{h.section}")
            out += h.body
    return "\n".join(out) + "\n"


def clone(files: list[FileDiff]) -> list[FileDiff]:
    return [replace(f, meta=list(f.meta), hunks=[replace(h, body=list(h.body)) for h in f.hunks])
            for f in files]
