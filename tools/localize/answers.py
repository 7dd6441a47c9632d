"""Reading the model's narrowing answers: paths, symbol names and line ranges, resolved against
the index. Forgiving about form (prose, fences, `path:line`, `pkg.mod.Class`, `path::Class::meth`,
diff prefixes), strict about substance: what resolves to nothing is dropped with a note, never
turned into a location."""
from __future__ import annotations

import difflib
import keyword
import re
from collections.abc import Callable

from .index import RepoIndex
from .results import Symbol

_PATH = re.compile(r"(?P<path>[\w./\\-]*\w\.py)\b(?::(?P<line>\d+))?")
_MODULE = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\b")
_FENCE = re.compile(r"```[^\n]*\n(.*?)(?:```|\Z)", re.DOTALL)


def _code_part(answer: str) -> tuple[str, bool]:
    """The fenced blocks of an answer when it has any (then every token is code), else all of it."""
    blocks = [b for b in _FENCE.findall(answer) if b.strip()]
    return ("\n".join(blocks), True) if blocks else (answer, False)


def resolve_path(raw: str, idx: RepoIndex, shown: list[str], notes: list[str]) -> str | None:
    """An indexed path for what the model wrote, or None: exact, then a unique (or shown)
    path that one ends with the other (`parser.py`, `/abs/repo/pkg/parser.py`), then a close
    spelling of a shown path."""
    p = raw.replace("\\", "/").lstrip("./")
    if p.startswith(("a/", "b/")) and p not in idx.path_id:
        p = p[2:]  # diff-style prefixes
    if p in idx.path_id:
        return p
    tails = [q for q in idx.paths if q.endswith("/" + p) or ("/" in q and p.endswith("/" + q))]
    preferred = [q for q in shown if q in tails]
    if preferred or len(tails) == 1:
        return (preferred or tails)[0]
    if tails:
        notes.append(f"file {raw!r}: ambiguous ({len(tails)} paths end so; dropped)")
        return None
    close = difflib.get_close_matches(p, shown, n=1, cutoff=0.85)
    if close:
        notes.append(f"file {raw!r}: did you mean {close[0]}? (taken)")
        return close[0]
    notes.append(f"file {raw!r}: not in the repository (dropped)")
    return None


def _module_path(dotted: str, idx: RepoIndex) -> str | None:
    """`pkg.mod` or `pkg.mod.Class.method` -> pkg/mod.py; a bare top-level name is too
    likely to be a word or an attribute to count."""
    while "." in dotted:
        if dotted in idx.modules:
            return idx.modules[dotted]
        dotted = dotted.rpartition(".")[0]
    return None


def parse_files(answer: str, idx: RepoIndex, shown: list[str], notes: list[str]) -> list[str]:
    text, _ = _code_part(answer)
    out: list[str] = []
    for line in text.splitlines():
        found = [resolve_path(m.group("path"), idx, shown, notes) for m in _PATH.finditer(line)]
        rest = _PATH.sub(" ", line)
        found += [_module_path(m.group(0), idx) for m in _MODULE.finditer(rest)]
        out.extend(f for f in found if f and f not in out)
    return out


_IDENT = re.compile(r"`?([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)`?")
_SKIP = set(keyword.kwlist) | {"self", "cls", "def", "class", "py", "path", "file", "line", "lines"}


def _code_like(tok: str, quoted: bool) -> bool:
    """In prose only quoted or identifier-shaped tokens count: a plain word ("I", "here")
    can be a symbol's name (sympy's `I`) without meaning it."""
    return quoted or "_" in tok or "." in tok or any(c.isupper() for c in tok[1:])


def parse_symbols(answer: str, idx: RepoIndex, cands: dict[str, list[Symbol]],
                  symbols_of: Callable[[str], list[Symbol]], notes: list[str]) -> list[Symbol]:
    text, fenced = _code_part(answer)
    shown = list(cands)
    out: list[Symbol] = []
    for line in text.splitlines():
        line = line.split(" #", 1)[0]  # trailing comments are prose
        scope = list(cands.values())
        for m in _PATH.finditer(line):
            f = resolve_path(m.group("path"), idx, shown, notes)
            if f:
                scope = [cands.get(f) or symbols_of(f)]
                if m.group("line"):  # `path:LINE`: the innermost symbol there
                    _add(out, _innermost(scope[0], int(m.group("line"))))
        rest = _PATH.sub(" ", line).replace("::", ".").replace("()", "")
        toks = [(m.group(1).strip("."), m.group(0).startswith("`")) for m in _IDENT.finditer(rest)]
        toks = [(t, q) for t, q in toks if t and t not in _SKIP]
        entry = fenced or len(toks) == 1   # a line holding one name (`path: Name`) is an answer entry
        for tok, quoted in toks:
            if entry or _code_like(tok, quoted):
                for s in _resolve_name(tok, [s for group in scope for s in group], notes):
                    _add(out, s)
    return out


def _add(out: list[Symbol], s: Symbol | None) -> None:
    if s is not None and all((s.file, s.name) != (x.file, x.name) for x in out):
        out.append(s)


def _innermost(syms: list[Symbol], line: int) -> Symbol | None:
    inside = [s for s in syms if s.start <= line <= s.end]
    return min(inside, key=lambda s: s.end - s.start) if inside else None


def _resolve_name(tok: str, syms: list[Symbol], notes: list[str]) -> list[Symbol]:
    parts = tok.split(".")
    for i in range(len(parts)):  # `module.Class.method` -> `Class.method`
        hit = [s for s in syms if s.name == ".".join(parts[i:])]
        if hit:
            return hit
    short = [s for s in syms if s.name.rpartition(".")[2] == parts[-1]]
    if short:  # `parse_line` -> `ConfigParser.parse_line`; `Parser.parse_line` too, said so
        if len(parts) > 1:
            notes.append(f"symbol {tok!r}: taken as {', '.join(s.name for s in short)}")
        return short
    names = {s.name: s for s in syms} | {s.name.rpartition(".")[2]: s for s in syms}
    close = difflib.get_close_matches(tok, list(names), n=1, cutoff=0.8)
    if close:
        s = names[close[0]]
        notes.append(f"symbol {tok!r}: did you mean {s.file}: {s.name}? (taken)")
        return [s]
    notes.append(f"symbol {tok!r}: not found in the chosen files (dropped)")
    return []


_RANGE = re.compile(r"\b[Ll]?(\d+)\s*(?:-|–|—|\.\.|\bto\b)\s*[Ll]?(\d+)\b")
_SINGLE = re.compile(r"(?:\blines?\s+|\bL|\.py:)(\d+)\b")


def parse_ranges(answer: str, idx: RepoIndex, shown: list[Symbol], notes: list[str],
                 limit: int) -> dict[str, list[tuple[int, int]]]:
    """Ranges are kept only where they overlap a shown symbol, and are clipped to it."""
    text, _ = _code_part(answer)
    files = list(dict.fromkeys(s.file for s in shown))
    found: list[tuple[str, int, int]] = []
    current = None   # the file named last: a bare range belongs to it
    for line in text.splitlines():
        for m in _PATH.finditer(line):
            current = resolve_path(m.group("path"), idx, files, notes) or current
        nums = [(int(a), int(b)) for a, b in _RANGE.findall(line)]
        nums += [(int(a), int(a)) for a in _SINGLE.findall(_RANGE.sub(" ", line))]
        for a, b in nums:
            a, b = min(a, b), max(a, b)
            hits = _clip_to(shown, current, a, b) or _clip_to(shown, None, a, b)
            if not hits:
                notes.append(f"lines {a}-{b}: outside the code shown (dropped)")
            found.extend(h for h in hits if h[0] == hits[0][0])  # one file: the first that fits
    return merge_spans(found[:limit])


def _clip_to(shown: list[Symbol], file: str | None, a: int, b: int) -> list[tuple[str, int, int]]:
    return [(s.file, max(a, s.start), min(b, s.end)) for s in shown
            if (file is None or s.file == file) and a <= s.end and b >= s.start]


def merge_spans(spans: list[tuple[str, int, int]]) -> dict[str, list[tuple[int, int]]]:
    out: dict[str, list[tuple[int, int]]] = {}
    for f, a, b in spans:
        out.setdefault(f, []).append((a, b))
    for f, rs in out.items():
        rs.sort()
        merged = [rs[0]]
        for a, b in rs[1:]:
            if a <= merged[-1][1] + 1:
                merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
            else:
                merged.append((a, b))
        out[f] = merged
    return out
