"""Skeletons of chosen files (signatures + line spans, no bodies) under a token budget."""
from __future__ import annotations

from pathlib import Path

from .index import get_index

MAX_SIG_CHARS = 120  # long argument lists are rarely worth their tokens
_MARKER = "  ... ({n} more)"


def estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def _line(sym) -> str:
    depth = sym.name.count(".")
    sig = sym.signature
    if len(sig) > MAX_SIG_CHARS:
        sig = sig[:MAX_SIG_CHARS - 4] + " ..."
    return f"{'  ' * (depth + 1)}{sym.start}-{sym.end} {sig}"


def repo_map(repo: Path, files: list[str], max_tokens: int = 2000) -> str:
    """Every file gets its header and top-level defs before any file gets methods,
    so a long first file cannot starve the rest; what is left out is counted."""
    idx = get_index(Path(repo))
    budget = max_tokens * 4 - len("... (99999 more files)") - 1
    syms = {f: [idx.symbols[i] for i in idx.file_syms.get(f, ())] for f in files}
    shown: list[str] = []
    used = 0
    for f in files:  # headers first, in rank order, each with room for a marker
        cost = len(f) + 1 + len(_MARKER) + 4
        if used + cost > budget:
            break
        shown.append(f)
        used += cost
    chosen: dict[str, set[int]] = {f: set() for f in shown}
    for depth in range(4):
        for f in shown:
            for i, s in enumerate(syms[f]):
                if s.name.count(".") == depth:
                    cost = len(_line(s)) + 1
                    if used + cost <= budget:
                        chosen[f].add(i)
                        used += cost
    return _render(shown, syms, chosen, len(files) - len(shown))


def _render(shown, syms, chosen, n_dropped: int) -> str:
    out: list[str] = []
    for f in shown:
        out.append(f)
        out.extend(_line(s) for i, s in enumerate(syms[f]) if i in chosen[f])
        missing = len(syms[f]) - len(chosen[f])
        if missing:
            out.append(_MARKER.format(n=missing))
    if n_dropped:
        out.append(f"... ({n_dropped} more files)")
    return "\n".join(out)
