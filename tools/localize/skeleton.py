"""Skeletons of chosen files (signatures + line spans, no bodies) under a token budget."""
from __future__ import annotations

from pathlib import Path

from .index import get_index

MAX_SIG_CHARS = 120  # long argument lists are rarely worth their tokens


def estimate_tokens(text: str) -> int:
    return (len(text) + 3) // 4


def file_skeleton(symbols, path: str) -> list[str]:
    lines = [path]
    for s in symbols:
        depth = s.name.count(".")
        sig = s.signature if len(s.signature) <= MAX_SIG_CHARS else s.signature[:MAX_SIG_CHARS - 4] + " ..."
        lines.append(f"{'  ' * (depth + 1)}{s.start}-{s.end} {sig}")
    return lines


def repo_map(repo: Path, files: list[str], max_tokens: int = 2000) -> str:
    """Files in the given order; each symbol line costs budget, and a file whose
    skeleton does not fit is cut with a marker rather than dropped silently."""
    idx = get_index(Path(repo))
    budget = max_tokens * 4
    out: list[str] = []
    used = 0
    for n, path in enumerate(files):
        syms = [idx.symbols[i] for i in idx.file_syms.get(path, ())]
        lines = file_skeleton(syms, path)
        header_cost = len(lines[0]) + 1
        if used + header_cost > budget:
            out.append(f"... ({len(files) - n} more files)")
            break
        for i, line in enumerate(lines):
            if used + len(line) + 1 > budget - 24:  # leave room for the marker
                out.append(f"  ... ({len(lines) - i} more symbols)")
                used += 24
                break
            out.append(line)
            used += len(line) + 1
    text = "\n".join(out)
    while estimate_tokens(text) > max_tokens and out:  # markers may overshoot by a little
        out.pop()
        text = "\n".join(out)
    return text
