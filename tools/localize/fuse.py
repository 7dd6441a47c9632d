"""Fuse lexical, exact and structural evidence into file and symbol rankings."""
from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

from .index import RepoIndex
from .signals import IssueSignals
from .tokenize import tokenize

# Tuned on SWE-bench Lite test-tune + dev only (bench/localize.py).
WEIGHTS = {
    "lex": 1.0, "sym_lex": 0.5, "path": 1.5, "frame": 1.2, "module": 0.8,
    "ident": 1.0, "literal": 0.8, "test_link": 0.3, "import": 0.15,
    "root": 0.6, "sym_second": 0.0, "stem": 0.3,
}
CATEGORY_FACTOR = {"src": 1.0, "test": 0.3, "doc": 0.3, "vendor": 0.3}
FRAME_DECAY = 0.5
_FMT_RE = re.compile(r"%[-#0-9.]*[sdrfig]|\{[^{}]*\}")


def _norm(scores: dict, top: float | None = None) -> dict:
    top = top if top is not None else max(scores.values(), default=0.0)
    return {k: v / top for k, v in scores.items()} if top > 0 else {}


def _saturate(x: float) -> float:
    return 1.0 - math.exp(-x)  # many weak mentions should not beat one strong one


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


class Evidence:
    """Per-file and per-symbol exact evidence, accumulated by kind."""

    def __init__(self):
        self.files: dict[str, Counter] = defaultdict(Counter)
        self.symbols: Counter = Counter()   # symbol id -> bonus

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


def _literals(idx, issue: str, ev: Evidence):
    hits: dict[str, set[str]] = defaultdict(set)
    for path, lits in idx.literals.items():
        for lit in lits:
            chunk = max(_FMT_RE.split(lit), key=len).strip()
            if len(chunk) >= 12 and chunk in issue:
                hits[chunk].add(path)
    for chunk, paths in hits.items():
        for p in paths:
            ev.add("literal", p, 1.0 / len(paths))


def collect_evidence(idx: RepoIndex, issue: str, sig: IssueSignals) -> Evidence:
    ev = Evidence()
    _paths_and_frames(idx, sig, ev)
    _dotted(idx, sig, ev)
    _idents(idx, sig, ev)
    _literals(idx, issue, ev)
    _stems(idx, issue, ev)
    return ev


def rank_files(idx: RepoIndex, issue: str, ev: Evidence, sym_lex: dict[int, float],
               w: dict = WEIGHTS) -> dict[str, float]:
    query = Counter(tokenize(issue))
    lex = _norm({idx.paths[d]: s for d, s in idx.file_bm25.score(query).items()})
    sym = _norm(_per_file_symbol_scores(idx, sym_lex, w["sym_second"]))
    scores: dict[str, float] = defaultdict(float)
    for p, v in lex.items():
        scores[p] += w["lex"] * v
    for p, v in sym.items():
        scores[p] += w["sym_lex"] * v
    for p, kinds in ev.files.items():
        for kind, v in kinds.items():
            scores[p] += w[kind] * _saturate(v)
    _structure(idx, scores, w)
    # top-level scripts (setup.py, isympy.py) are rarely where a packaged bug lives
    root = w["root"] if len(idx.paths) > 20 else 1.0
    return {p: v * CATEGORY_FACTOR[idx.categories.get(p, "src")] * (1.0 if "/" in p else root)
            for p, v in scores.items()}


def _per_file_symbol_scores(idx: RepoIndex, sym_lex: dict[int, float], second: float):
    """Best symbol per file, plus a share of the runner-up: two matching functions
    in one file is more evidence than one."""
    best: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for sid, s in sym_lex.items():
        b = best[idx.symbols[sid].file]
        if s > b[0]:
            b[0], b[1] = s, b[0]
        elif s > b[1]:
            b[1] = s
    return {f: b[0] + second * b[1] for f, b in best.items()}


def _structure(idx: RepoIndex, scores: dict[str, float], w: dict):
    """Tests pass credit to code they exercise; strong hits lift their imports."""
    strong = sorted(scores, key=scores.get, reverse=True)[:5]
    bonus: dict[str, float] = defaultdict(float)
    for p in strong:
        links = idx.test_links.get(p)
        if links:
            for q in links:
                bonus[q] += w["test_link"] * scores[p] / len(links)
        elif idx.categories.get(p) == "src":
            near = idx.imports.get(p, set()) | idx.imported_by.get(p, set())
            for q in near:
                if q in scores:  # only lift files that have lexical support
                    bonus[q] = max(bonus[q], w["import"] * scores[p])
    for q, b in bonus.items():
        scores[q] += b


SYMBOL_WEIGHTS = {"file": 0.5, "class": 0.5, "exact": 1.0}


def rank_symbols(idx: RepoIndex, files: list[str], file_scores: dict[str, float],
                 ev: Evidence, sym_lex: dict[int, float], limit: int,
                 w: dict = SYMBOL_WEIGHTS) -> list[int]:
    """Symbols of the top files; a whole class is a weaker answer than the method."""
    top = max(file_scores.values(), default=1.0) or 1.0
    cands = []
    for f in files:
        for sid in idx.file_syms.get(f, ()):
            s = sym_lex.get(sid, 0.0) + w["exact"] * ev.symbols.get(sid, 0.0)
            if s > 0:
                if idx.symbols[sid].kind == "class":
                    s *= w["class"]
                cands.append((s + w["file"] * file_scores[f] / top, sid))
    cands.sort(reverse=True)
    return [sid for _, sid in cands[:limit]]


def symbol_lexical(idx: RepoIndex, issue: str) -> dict[int, float]:
    return _norm(idx.sym_bm25.score(Counter(tokenize(issue))))
