"""dsfix.tools.localize: find the code an issue is about before the model spends a token.

    localize(repo, issue_text, top_k, max_symbols) -> Localization(files, scores, symbols)
    repo_map(repo, files, max_tokens)  -> compact skeleton text for a prompt
"""
from __future__ import annotations

from pathlib import Path

from . import evidence, fuse, signals
from .index import get_index
from .results import Localization, Symbol
from .skeleton import repo_map

__all__ = ["Symbol", "Localization", "localize", "repo_map"]


def localize(repo: Path, issue_text: str, top_k: int = 10,
             max_symbols: int | None = None) -> Localization:
    """Rank the repo's Python files (and their functions) for an issue, no model call;
    up to `max_symbols` symbols (default 2 * top_k) of the top files.

    The index is built once per commit (+ dirty state) and cached on disk, so
    repeated calls while the agent works cost a cache load and a query."""
    idx = get_index(Path(repo))
    sig = signals.extract(issue_text)
    ev = evidence.collect(idx, issue_text, sig)
    lexical_text = signals.lexical_query(issue_text)
    sym_lex = fuse.symbol_lexical(idx, lexical_text)
    scores = fuse.rank_files(idx, lexical_text, ev, sym_lex)
    files = sorted(scores, key=lambda p: (-scores[p], p))[:top_k]
    sids = fuse.rank_symbols(idx, files, scores, ev, sym_lex, limit=max_symbols or 2 * top_k)
    return Localization(files=files, scores={f: round(scores[f], 4) for f in files},
                        symbols=[idx.symbols[s] for s in sids])
