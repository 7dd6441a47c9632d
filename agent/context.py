"""The code shown to the model up front: a repo map plus the most relevant files, within a budget."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CHARS_PER_TOKEN = 4
MAX_FILES = 3


@dataclass
class FileView:
    path: str
    numbered: str
    start: int
    end: int
    total: int
    truncated: bool


def number_lines(lines: list[str], start: int) -> str:
    width = len(str(start + len(lines)))
    return "\n".join(f"{i:>{width}} {line}" for i, line in enumerate(lines, start))


def file_view(root: Path, rel: str, budget_chars: int, focus: list[int]) -> FileView | None:
    try:
        lines = (root / rel).read_text(errors="replace").splitlines()
    except OSError:
        return None
    start, end = 1, len(lines)
    # Too big: keep a window around the symbols the localizer pointed at.
    while sum(len(s) + 6 for s in lines[start - 1:end]) > budget_chars and end - start > 40:
        mid = focus[0] if focus else (start + end) // 2
        half = max((end - start) // 4, 20)
        start, end = max(1, mid - half), min(len(lines), mid + half)
    return FileView(rel, number_lines(lines[start - 1:end], start), start, end, len(lines),
                    (start, end) != (1, len(lines)))


def build_context(root: Path, issue: str, budget_tokens: int) -> tuple[str, list[FileView], list[str]]:
    """Returns (repo map, file views, ranked file list)."""
    from dsfix.tools.localize import localize, repo_map
    loc = localize(root, issue, top_k=10)
    budget = budget_tokens * CHARS_PER_TOKEN
    rmap = repo_map(root, loc.files, max_tokens=max(budget_tokens // 6, 300))
    views, left = [], budget - len(rmap)
    for rel in loc.files[:MAX_FILES]:
        focus = [s.start for s in loc.symbols if s.file == rel]
        v = file_view(root, rel, left // max(MAX_FILES - len(views), 1), focus)
        if v:
            views.append(v)
            left -= len(v.numbered)
    return rmap, views, loc.files
