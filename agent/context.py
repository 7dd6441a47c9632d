"""The code shown to the model up front: a repo map plus windows on the most relevant files.

A file view is a set of windows, one on every place the issue and the localization point at
(places.py), fitted across files into the budget (viewplan.py), numbered with the file's own line
numbers and with a marker where lines are left out (windows.py).
"""
from __future__ import annotations

from pathlib import Path

from dsfix.tools.localize.results import Localization

from .viewplan import MAX_FILES, plan_views
from .windows import FileView

CHARS_PER_TOKEN = 4
TOP_K = 10            # files ranked (the repo map shows them; the views the first MAX_FILES)
MAX_SYMBOLS = 60      # ranked symbols asked for: a file's fifth relevant function is still a place

__all__ = ["FileView", "build_context", "context_for", "first_prompt_tokens", "prompt_preview",
           "CHARS_PER_TOKEN", "TOP_K", "MAX_SYMBOLS"]


def build_context(root: Path, issue: str, budget_tokens: int,
                  narrow=None) -> tuple[str, list[FileView], list[str]]:
    """Returns (repo map, file views, ranked file list). `narrow(root, issue, loc)`, when
    given, lets the model reorder files and point at line ranges the views then show first."""
    from dsfix.tools.localize import localize
    loc = localize(root, issue, top_k=TOP_K, max_symbols=MAX_SYMBOLS)
    if narrow is not None:
        loc = narrow(root, issue, loc)
    rmap, views = context_for(root, issue, loc, budget_tokens)
    return rmap, views, loc.files


def context_for(root: Path, issue: str, loc: Localization,
                budget_tokens: int) -> tuple[str, list[FileView]]:
    """The repo map and file views for a localization already made."""
    from dsfix.tools.localize import repo_map
    from dsfix.tools.localize.index import get_index
    rmap = repo_map(root, loc.files, max_tokens=max(budget_tokens // 6, 300))
    idx = get_index(root)
    texts: dict[str, list[str]] = {}
    for rel in loc.files[:MAX_FILES]:
        try:
            texts[rel] = (Path(root) / rel).read_text(errors="replace").splitlines()
        except OSError:
            continue
    syms = {rel: [idx.symbols[i] for i in idx.file_syms.get(rel, ())] for rel in texts}
    return rmap, plan_views(issue, loc, texts, syms, budget_tokens * CHARS_PER_TOKEN - len(rmap))


def first_prompt_tokens(issue: str, rmap: str, views: list[FileView]) -> int:
    """Estimated tokens of the loop's first call: the system message and the reproduce step,
    which carries the task (issue, repo map, views)."""
    from dsfix.prompts import render
    task = render("task", issue=issue, repo_map=rmap, files=views)
    return (len(render("system")) + len(render("reproduce", task=task))) // CHARS_PER_TOKEN


def prompt_preview(root: Path, issue: str, loc: Localization, budget_tokens: int) -> dict:
    """What the first fix prompt shows for `loc`: `dsfix localize --prompt`'s extra keys."""
    rmap, views = context_for(root, issue, loc, budget_tokens)
    return {"views": [{"path": v.path, "ranges": [list(r) for r in v.ranges]} for v in views],
            "prompt_tokens": first_prompt_tokens(issue, rmap, views)}
