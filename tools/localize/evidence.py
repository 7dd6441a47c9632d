"""Exact evidence from the issue mapped onto the index: which files and symbols
its paths, trace frames, dotted names, identifiers, module names and error
messages point at. Values are raw counts; fuse.py weighs and saturates them."""
from __future__ import annotations

import math
import re
from collections import defaultdict
from typing import TypeVar

from . import sites
from .index import RepoIndex
from .signals import IssueSignals

FRAME_DECAY = 0.5  # weight of each frame further out from the innermost in-repo one
_FMT_RE = re.compile(r"%[-#0-9.]*[sdrfig]|\{[^{}]*\}")


def suffix_matches(idx: RepoIndex, mention: str) -> list[str]:
    """Repo paths sharing the longest trailing path components with `mention`."""
    parts = [p for p in mention.split("/") if p not in ("", ".", "..")]
    if not parts:
        return []
    best, out = 0, []
    for p in idx.by_basename().get(parts[-1], ()):
        q = p.split("/")
        k = 0
        while k < min(len(q), len(parts)) and q[-1 - k] == parts[-1 - k]:
            k += 1
        if k > best:
            best, out = k, [p]
        elif k == best:
            out.append(p)
    return out


K = TypeVar("K")


class Weights(dict[K, float]):
    """Counter's way with a missing key (read as 0, not stored) for weights that are floats
    (typeshed's Counter holds ints)."""

    def __missing__(self, key: K) -> float:
        return 0


class Evidence:
    """Per-file and per-symbol exact evidence, accumulated by kind."""

    def __init__(self) -> None:
        self.files: dict[str, Weights[str]] = defaultdict(Weights)
        self.symbols: Weights[int] = Weights()   # symbol id -> bonus
        self.texts: dict[str, list[str]] = {}   # files read while collecting (sites.py)
        self._literal_hits: dict[str, set[str]] | None = None

    def literal_hits(self, idx: RepoIndex, issue: str) -> dict[str, set[str]]:
        if self._literal_hits is None:
            self._literal_hits = _literal_hits(idx, issue)
        return self._literal_hits

    def add(self, kind: str, path: str, w: float):
        self.files[path][kind] += w


def _paths_and_frames(idx, sig: IssueSignals, ev: Evidence):
    for m in sig.paths:
        hits = suffix_matches(idx, m)
        for p in hits:
            ev.add("path", p, 1.0 / len(hits))
    # Innermost in-repo frames are nearest the fault; a hub file that shows up in
    # many outer frames should not outvote the one frame where it broke.
    in_repo = [(fr, suffix_matches(idx, fr.path)) for fr in sig.frames]
    in_repo = [(fr, hits) for fr, hits in in_repo if hits]
    best: dict[str, float] = {}
    for k, (fr, hits) in enumerate(reversed(in_repo)):
        depth = max(FRAME_DECAY ** k, 0.2)
        for p in hits:
            best[p] = max(best.get(p, 0.0), depth / len(hits))
            for sid in idx.file_syms.get(p, ()):
                s = idx.symbols[sid]
                if s.start <= fr.line <= s.end and s.kind != "class":
                    ev.symbols[sid] = max(ev.symbols.get(sid, 0.0), depth)
    for p, v in best.items():
        ev.add("frame", p, v)


def _dotted(idx, sig: IssueSignals, ev: Evidence):
    for d in set(sig.dotted):
        parts = d.split(".")
        for k in range(len(parts), 0, -1):
            path = idx.modules.get(".".join(parts[:k]))
            if path:
                if k > 1 or len(parts) == 1:
                    ev.add("module", path, 1.0)
                rest = parts[k:]
                if rest:
                    for sid in idx.file_syms.get(path, ()):
                        if idx.symbols[sid].name.split(".")[-1] == rest[-1]:
                            ev.symbols[sid] += 1.0
                            ev.add("ident", path, 0.5)
                break
        else:
            _module_suffix(idx, d, ev)


def _module_suffix(idx, dotted: str, ev: Evidence, most: int = 3):
    """`printing.pretty` (no package prefix) names `sympy.printing.pretty`; a package also
    points at its same-named module (`pretty/pretty.py`), where such code usually lives."""
    tail = "." + dotted
    hits = [m for m in idx.modules if m.endswith(tail)]
    if not 0 < len(hits) <= most:
        return
    for m in hits:
        path = idx.modules[m]
        ev.add("module", path, 1.0 / len(hits))
        if path.endswith("/__init__.py"):
            same = path[: -len("__init__.py")] + dotted.rsplit(".", 1)[-1] + ".py"
            if same in idx.file_syms:
                ev.add("module", same, 1.0 / len(hits))


def _idents(idx, sig: IssueSignals, ev: Evidence, w_assign: float = 0.5):
    for words, w in ((sig.code_idents, 1.0), (sig.prose_idents, 0.3)):
        for word in words:
            sids = idx.defs.get(word)
            if not sids:
                # `PersonName3 = PersonName`: aliases and constants are API too
                files = idx.assigns.get(word, ())
                for p in files:
                    ev.add("ident", p, w * w_assign / math.sqrt(len(files)))
                continue
            files = {idx.symbols[s].file for s in sids}
            share = w / math.sqrt(len(files))
            for s in sids:
                ev.symbols[s] += share
            for p in files:
                ev.add("ident", p, share)


def _stems(idx, issue: str, ev: Evidence):
    """A word naming a module (`L039`, `autodoc`, `trigsimp`) points at its file."""
    by_stem = idx.by_stem()
    for word in {w.lower() for w in re.findall(r"[A-Za-z_]\w{2,}", issue)}:
        files = by_stem.get(word, ())
        if 0 < len(files) <= 3:
            for p in files:
                ev.add("stem", p, 1.0 / len(files))


def _literal_hits(idx, issue: str) -> dict[str, set[str]]:
    """Distinctive chunks of string literals (format fields split off) that the issue quotes."""
    hits: dict[str, set[str]] = defaultdict(set)
    for path, lits in idx.literals.items():
        for lit in lits:
            chunk = max(_FMT_RE.split(lit), key=len).strip()
            if len(chunk) >= 12 and chunk in issue:
                hits[chunk].add(path)
    return hits


def _literals(idx, issue: str, sig: IssueSignals, ev: Evidence):
    for chunk, paths in ev.literal_hits(idx, issue).items():
        for p in paths:
            ev.add("literal", p, 1.0 / len(paths))


def _literal_sites(idx, issue: str, sig: IssueSignals, ev: Evidence):
    sites.literal_sites(idx, ev.literal_hits(idx, issue), ev, ev.texts)


def _names(idx, issue: str, sig: IssueSignals, ev: Evidence):
    """Option and config names the issue writes as such (signals.py: `--x`, `a-b` in backticks,
    config file keys). Snake_case words of code snippets in general are not: they are mostly the
    user's own variables and keyword arguments, and looking them up as names floods the ranking."""
    sites.name_sites(idx, sig.names, ev, ev.texts)


def _exact(idx, issue: str, sig: IssueSignals, ev: Evidence):
    _paths_and_frames(idx, sig, ev)
    _dotted(idx, sig, ev)
    _idents(idx, sig, ev)


def _stem_step(idx, issue: str, sig: IssueSignals, ev: Evidence):
    _stems(idx, issue, ev)


# Each step adds evidence; bench/context.py runs the ranking without the newer ones beside it.
STEPS = (_exact, _literals, _stem_step, _literal_sites, _names)


def collect(idx: RepoIndex, issue: str, sig: IssueSignals, steps=None) -> Evidence:
    ev = Evidence()
    for step in steps if steps is not None else STEPS:
        step(idx, issue, sig, ev)
    return ev
