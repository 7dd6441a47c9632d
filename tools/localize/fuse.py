"""Fuse lexical, exact and structural evidence into file and symbol rankings."""
from __future__ import annotations

import math
from collections import Counter, defaultdict

from .evidence import Evidence
from .index import RepoIndex
from .tokenize import tokenize

# Tuned on SWE-bench Lite test-tune + dev only (bench/localize.py).
WEIGHTS = {
    "lex": 0.8, "sym_lex": 0.5, "path": 1.5, "frame": 1.2, "module": 0.8,
    "ident": 0.6, "literal": 0.8, "test_link": 0.3, "import": 0.08,
    "root": 0.6, "sym_second": 0.0, "stem": 0.3, "call": 0.3, "site": 0.3,
}
CATEGORY_FACTOR = {"src": 1.0, "test": 0.3, "doc": 0.3, "vendor": 0.3}


def _norm(scores: dict, top: float | None = None) -> dict:
    top = top if top is not None else max(scores.values(), default=0.0)
    return {k: v / top for k, v in scores.items()} if top > 0 else {}


def _saturate(x: float) -> float:
    return 1.0 - math.exp(-x)  # many weak mentions should not beat one strong one


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
    final = {p: v * CATEGORY_FACTOR[idx.categories.get(p, "src")] * (1.0 if "/" in p else root)
             for p, v in scores.items()}
    _calls(idx, final, ev, w["call"])
    return final


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
    strong = sorted(scores, key=lambda p: scores[p], reverse=True)[:5]
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


def _calls(idx: RepoIndex, scores: dict[str, float], ev: Evidence, weight: float):
    """Credit the files that the issue's named functions call into. A callee is a second
    hypothesis: it may rise into the top few but not above the best-supported file."""
    from .calls import callee_files
    if weight <= 0:
        return
    best = max(scores.values(), default=0.0)
    for p, n in callee_files(idx, ev).items():
        new = scores.get(p, 0.0) + weight * _saturate(n) * CATEGORY_FACTOR[idx.categories.get(p, "src")]
        scores[p] = min(new, 0.999 * best) if scores.get(p, 0.0) < best else new


SYMBOL_WEIGHTS = {"file": 0.3, "class": 0.2, "exact": 0.5}


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
