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


def _window(lines: list[str], focus: list[tuple[int, int]], budget_chars: int) -> tuple[int, int]:
    """Lines to show: the whole file if it fits, else the focus ranges (all of them if they
    fit together, else the first) grown evenly up and down: context helps the model edit."""
    n = len(lines)
    cost = [len(s) + 6 for s in lines]
    if sum(cost) <= budget_chars or n == 0:
        return 1, n
    spans = sorted((max(1, a), min(n, b)) for a, b in focus if a <= n) or [((n + 1) // 2, (n + 1) // 2)]
    a, b = spans[0][0], max(e for _, e in spans)
    if sum(cost[a - 1:b]) > budget_chars:
        a, b = spans[0]
    used = sum(cost[a - 1:b])
    while b > a and used > budget_chars:  # one range too long alone: its head
        used -= cost[b - 1]
        b -= 1
    grown = True
    while grown:
        grown = False
        if a > 1 and used + cost[a - 2] <= budget_chars:
            a, used, grown = a - 1, used + cost[a - 2], True
        if b < n and used + cost[b] <= budget_chars:
            b, used, grown = b + 1, used + cost[b], True
    return a, b


def file_view(root: Path, rel: str, budget_chars: int, focus: list[tuple[int, int]]) -> FileView | None:
    try:
        lines = (root / rel).read_text(errors="replace").splitlines()
    except OSError:
        return None
    start, end = _window(lines, focus, budget_chars)
    return FileView(rel, number_lines(lines[start - 1:end], start), start, end, len(lines),
                    (start, end) != (1, len(lines)))


def build_context(root: Path, issue: str, budget_tokens: int,
                  narrow=None) -> tuple[str, list[FileView], list[str]]:
    """Returns (repo map, file views, ranked file list). `narrow(root, issue, loc)`, when
    given, lets the model reorder files and point at line ranges the views then centre on."""
    from dsfix.tools.localize import localize, repo_map
    loc = localize(root, issue, top_k=10)
    if narrow is not None:
        loc = narrow(root, issue, loc)
    ranges = getattr(loc, "line_ranges", {})
    budget = budget_tokens * CHARS_PER_TOKEN
    rmap = repo_map(root, loc.files, max_tokens=max(budget_tokens // 6, 300))
    views, left = [], budget - len(rmap)
    for rel in loc.files[:MAX_FILES]:
        focus = ranges.get(rel) or [(s.start, s.end) for s in loc.symbols if s.file == rel][:1]
        v = file_view(root, rel, left // max(MAX_FILES - len(views), 1), focus)
        if v:
            views.append(v)
            left -= len(v.numbered)
    return rmap, views, loc.files
