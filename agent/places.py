"""The places in one file that an issue and its localization point at, each with a weight.

A place is a line range worth showing: a span the model's narrowing chose, the function a
traceback frame names, a line the issue quotes, a ranked symbol, the module constants and class
attributes a ranked function reads, the file's imports. viewplan.py
weighs them across files and fits what it can into the prompt.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from dsfix.tools.localize.results import Symbol
from dsfix.tools.localize.signals import IssueSignals, extract

# How strongly each kind of evidence says "the fix is here" (tuned on SWE-bench Lite tune + dev).
WEIGHT = {"narrowed": 3.0, "frame": 2.0, "quote": 1.5, "symbol": 1.0, "head": 0.25,
          "whole": 1.2, "read": 0.5}
SYMBOL_DECAY = 1.0    # the k-th (from 0) ranked symbol of a file weighs (k + 1) ** -SYMBOL_DECAY
FRAME_CONTEXT = 10    # lines around a frame's line when no function encloses it
QUOTE_CONTEXT = 3
MIN_QUOTE = 12        # shorter quoted lines (`return x`) match too much
HEAD_LINES = 30       # a file's imports: fixes often add one
CLASS_HEAD = 40       # a class is shown by its head (bases, docstring, attributes)
SMALL_FILE = 8000     # characters: a file this small is also a place as a whole
READ_SYMBOLS = 5      # a file's best ranked functions whose module and class constants are places
READ_MOST = 4         # constants per function, at most (the first it reads)
STATEMENT_LINES = 12  # an assignment's lines, at most (a long literal shows its head)


@dataclass(frozen=True)
class Place:
    start: int
    end: int
    weight: float
    why: str          # a WEIGHT key


@dataclass
class Issue:
    """What of the issue text the places are looked up by."""
    sig: IssueSignals
    lines: set[str]     # its lines and inline code, stripped

    @classmethod
    def of(cls, text: str) -> "Issue":
        """Quoted lines: every line, and every `inline code` span (one line of code in prose)."""
        quoted = {s.strip() for s in text.splitlines()}
        quoted.update(m.strip() for m in re.findall(r"`([^`\n]+)`", text))
        return cls(extract(text), quoted)


def file_places(rel: str, lines: list[str], syms: list[Symbol], ranked: list[Symbol],
                issue: Issue, narrowed: list[tuple[int, int]]) -> list[Place]:
    """`syms`: the file's symbols from the index; `ranked`: the localization's symbols in this
    file, best first."""
    out = [Place(a, b, WEIGHT["narrowed"], "narrowed") for a, b in narrowed]
    out += _frames(rel, syms, lines, issue.sig)
    out += _quotes(lines, issue.lines)
    out += [Place(*_span(s, syms, lines), WEIGHT["symbol"] * (k + 1) ** -SYMBOL_DECAY, "symbol")
            for k, s in enumerate(ranked)]
    out += reads(lines, syms, ranked[:READ_SYMBOLS])
    out.append(Place(1, min(HEAD_LINES, len(lines)), WEIGHT["head"], "head"))
    if sum(len(s) + 1 for s in lines) <= SMALL_FILE:
        out.append(Place(1, len(lines), WEIGHT["whole"], "whole"))
    n = len(lines)
    return [Place(max(p.start, 1), min(p.end, n), p.weight, p.why) for p in out
            if max(p.start, 1) <= min(p.end, n)]


def _span(s: Symbol, syms: list[Symbol], lines: list[str]) -> tuple[int, int]:
    """A function's whole span with its decorators; a class's head, up to its first nested
    definition."""
    top = decorated_start(lines, s)
    if s.kind != "class":
        return top, s.end
    inner = [t.start for t in syms if s.start < t.start <= s.end]
    return top, min([s.end, s.start + CLASS_HEAD - 1] + [t - 1 for t in inner])


def decorated_start(lines: list[str], s: Symbol, most: int = 60) -> int:
    """The first line of the decorators above a def or class (its own line when it has none);
    a decorator's arguments may run over several lines."""
    def indent(t: str) -> int:
        return len(t) - len(t.lstrip())
    if s.start > len(lines):
        return s.start
    own, top = indent(lines[s.start - 1]), s.start
    for i in range(s.start - 1, max(s.start - most, 1) - 1, -1):
        t = lines[i - 1]
        st = t.strip()
        if not st or indent(t) < own or (indent(t) == own and st[0] not in "@)]}"):
            break
        if indent(t) == own and st.startswith("@"):
            top = i
    return top


def enclosing(syms: list[Symbol], line: int, kinds=("function", "method")) -> Symbol | None:
    inner = [s for s in syms if s.start <= line <= s.end and s.kind in kinds]
    return min(inner, key=lambda s: s.end - s.start) if inner else None


def _frames(rel: str, syms: list[Symbol], lines: list[str], sig: IssueSignals) -> list[Place]:
    """Frames naming this file, innermost (last) weighing most. The user's version of the file
    may differ from this one: the frame's function name wins over its line number."""
    mine = [fr for fr in sig.frames if _same_file(fr.path, rel)]
    out = []
    for k, fr in enumerate(reversed(mine)):
        w = WEIGHT["frame"] * max(0.5 ** k, 0.25)
        named = [s for s in syms if fr.func and s.name.rpartition(".")[2] == fr.func
                 and s.kind != "class"]
        hit = enclosing(syms, fr.line)
        stale = bool(named) and hit not in named   # the line is in another function here
        if stale:
            hit = min(named, key=lambda s: abs(s.start - fr.line))
        if hit is not None:
            out.append(Place(*_span(hit, syms, lines), w, "frame"))
        if not stale:
            out.append(Place(fr.line - FRAME_CONTEXT, fr.line + FRAME_CONTEXT, w, "frame"))
    return out


def _same_file(frame_path: str, rel: str) -> bool:
    """`/usr/lib/python3/site-packages/pkg/mod.py` is `pkg/mod.py` (or `src/pkg/mod.py`)."""
    a, b = frame_path.replace("\\", "/").split("/"), rel.split("/")
    k = 0
    while k < min(len(a), len(b)) and a[-1 - k] == b[-1 - k]:
        k += 1
    return k == len(b) or k >= 2


def _quotes(lines: list[str], issue_lines: set[str]) -> list[Place]:
    """Lines of the file the issue quotes verbatim, where they are distinctive (at most twice)."""
    seen: dict[str, list[int]] = {}
    for i, s in enumerate(lines, 1):
        t = s.strip()
        if len(t) >= MIN_QUOTE and t in issue_lines:
            seen.setdefault(t, []).append(i)
    return [Place(i - QUOTE_CONTEXT, i + QUOTE_CONTEXT, WEIGHT["quote"], "quote")
            for nums in seen.values() if len(nums) <= 2 for i in nums]


_ASSIGN_RE = re.compile(r"^(\s*)([A-Za-z_]\w*)\s*(?::[^=]*)?=(?!=)")
_WORD_RE = re.compile(r"\b[A-Za-z_]\w*\b")
_ATTR_RE = re.compile(r"\.([A-Za-z_]\w*)\b")


def reads(lines: list[str], syms: list[Symbol], ranked: list[Symbol]) -> list[Place]:
    """The module constants and class attributes a ranked function reads (`option_desc_re`,
    `cls._re_polynomial`): a regex, table or default defined outside the function is often
    what its fix changes. Each weighs WEIGHT["read"] of the function's own place."""
    module, classes = _assignments(lines, syms)
    out, seen = [], set()
    for k, s in enumerate(ranked):
        if s.kind == "class":
            continue
        text = "\n".join(lines[s.start:s.end])
        words = set(_WORD_RE.findall(text))
        attrs = set(_ATTR_RE.findall(text))   # a class attribute is read as `self.x`, `cls.x`
        owner = s.name.rpartition(".")[0]
        found = [span for name, span in classes.get(owner, {}).items() if name in attrs]
        found += [span for name, span in module.items() if name in words]
        for span in sorted(found)[:READ_MOST]:
            if span not in seen:
                seen.add(span)
                out.append(Place(*span, WEIGHT["read"] * WEIGHT["symbol"] * (k + 1) ** -SYMBOL_DECAY,
                                 "read"))
    return out


def _assignments(lines: list[str], syms: list[Symbol]):
    """(module-level `NAME = ...` -> span, class qualname -> {attribute -> span}): assignments
    outside any function, each spanning its continuation lines."""
    owners = sorted((s for s in syms if s.kind == "class"), key=lambda s: s.end - s.start)
    inside_def = [(s.start, s.end) for s in syms if s.kind != "class"]
    module: dict[str, tuple[int, int]] = {}
    classes: dict[str, dict[str, tuple[int, int]]] = {}
    for i, text in enumerate(lines, 1):
        m = _ASSIGN_RE.match(text)
        if not m or any(a < i <= b for a, b in inside_def):
            continue
        span = (i, _statement_end(lines, i))
        if not m.group(1):
            module.setdefault(m.group(2), span)
            continue
        owner = next((c for c in owners if c.start < i <= c.end), None)
        if owner is not None:
            classes.setdefault(owner.name, {}).setdefault(m.group(2), span)
    return module, classes


def _statement_end(lines: list[str], start: int) -> int:
    """The last line of the statement starting at `start`: while its brackets are open."""
    depth, i = 0, start
    while i <= min(len(lines), start + STATEMENT_LINES - 1):
        t = lines[i - 1].split("#", 1)[0]
        depth += sum(t.count(c) for c in "([{") - sum(t.count(c) for c in ")]}")
        if depth <= 0:
            return i
        i += 1
    return i - 1
