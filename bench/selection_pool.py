"""Candidate pools for bench/selection.py: an instance's gold patch and realistic wrong ones.

Every wrong kind is made from the gold patch and the file it changes at base_commit, the way a
model goes wrong: a hunk left out, the change made in another function, a condition inverted or a
number off by one in an added line, a comment instead of a fix, a syntax error, the fix plus a
change that breaks a function another test uses. Whether each really is wrong is for the official
grading to say (bench/selection.py grades every candidate); a kind that cannot be made is left out.
"""
from __future__ import annotations

import ast
import difflib
import re
import textwrap

KINDS = ("gold", "missing_hunk", "wrong_function", "inverted", "noop", "syntax_error", "breaks_other")


def split_patch(patch: str) -> list[tuple[str, list[str]]]:
    """[(file header, [hunk, ...])] of a git diff."""
    out = []
    for part in re.split(r"(?m)^(?=diff --git )", patch):
        if not part.strip():
            continue
        head, *hunks = re.split(r"(?m)^(?=@@ )", part)
        out.append((head, hunks))
    return out


def join_patch(files: list[tuple[str, list[str]]]) -> str:
    return "".join(head + "".join(hunks) for head, hunks in files if hunks)


def file_diff(path: str, old: str, new: str) -> str:
    body = "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{path}", f"b/{path}"))
    return f"diff --git a/{path} b/{path}\n{body}"


def compiles(text: str) -> bool:
    try:
        ast.parse(text)
        return True
    except SyntaxError:
        return False


def missing_hunk(gold: str) -> str | None:
    """The gold without its biggest hunk (only for a gold with two or more)."""
    files = split_patch(gold)
    hunks = [(fi, hi) for fi, (_, hs) in enumerate(files) for hi in range(len(hs))]
    if len(hunks) < 2:
        return None
    size = lambda fh: sum(1 for ln in files[fh[0]][1][fh[1]].splitlines() if ln[:1] in "+-")  # noqa: E731
    fi, hi = max(hunks, key=size)
    files[fi] = (files[fi][0], [h for i, h in enumerate(files[fi][1]) if i != hi])
    return join_patch(files)


_FLIPS = [(r"\bis not None\b", "is None"), (r"\bis None\b", "is not None"), (r" == ", " != "),
          (r" != ", " == "), (r" <= ", " < "), (r" >= ", " > "), (r" < ", " <= "), (r" > ", " >= "),
          (r"\bTrue\b", "False"), (r"\bFalse\b", "True"), (r"\bif not ", "if "), (r"\bif ", "if not ")]


def _edit_added(gold: str, edit) -> str | None:
    """The gold with the first added line that ``edit`` changes (edit(line) -> line or None)."""
    lines = gold.splitlines(True)
    for i, ln in enumerate(lines):
        if ln.startswith("+") and not ln.startswith("+++") and ln[1:].strip() and not ln[1:].lstrip().startswith("#"):
            new = edit(ln[1:])
            if new is not None and new != ln[1:]:
                return "".join(lines[:i] + ["+" + new] + lines[i + 1:])
    return None


def inverted(gold: str) -> str | None:
    """An added line's condition inverted, else a number in it off by one."""
    def flip(line: str) -> str | None:
        for pat, rep in _FLIPS:
            if re.search(pat, line):
                return re.sub(pat, rep, line, count=1)
        return None

    def off_by_one(line: str) -> str | None:
        m = re.search(r"(?<![\w.])(\d+)(?![\w.])", line)
        return line[:m.start()] + str(int(m.group(1)) + 1) + line[m.end():] if m else None
    return _edit_added(gold, flip) or _edit_added(gold, off_by_one)


def syntax_error(gold: str) -> str | None:
    return _edit_added(gold, lambda line: line.rstrip("\n") + " )\n")


def noop(path: str, old: str, hunk_line: int) -> str:
    """A comment where the fix belongs: applies, changes nothing."""
    lines = old.splitlines(True)
    at = max(0, min(hunk_line - 1, len(lines)))
    indent = re.match(r"\s*", lines[at] if at < len(lines) else "").group(0)
    lines.insert(at, f"{indent}# handle the case described in the issue\n")
    return file_diff(path, old, "".join(lines))


def _functions(text: str) -> list[ast.FunctionDef]:
    return [n for n in ast.walk(ast.parse(text)) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]


def _insert_in_body(text: str, fn, block: list[str]) -> str:
    """``block`` (dedented lines) at the start of ``fn``'s body, after a docstring."""
    lines = text.splitlines(True)
    first = fn.body[0]
    doc = isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant)
    at_node = fn.body[1] if doc and len(fn.body) > 1 else first
    at = (first.end_lineno if doc and len(fn.body) == 1 else at_node.lineno) - 1
    indent = " " * (at_node.col_offset if at_node is not first or not doc else first.col_offset)
    body = textwrap.indent(textwrap.dedent("".join(block)), indent)
    return "".join(lines[:at] + [body if body.endswith("\n") else body + "\n"] + lines[at:])


def _changed_function(text: str, line: int):
    hits = [f for f in _functions(text) if f.lineno <= line <= f.end_lineno]
    return min(hits, key=lambda f: f.end_lineno - f.lineno) if hits else None


def wrong_function(path: str, old: str, gold_hunk: str) -> str | None:
    """The gold hunk's added lines put at the top of the nearest other function instead."""
    start = int(re.match(r"@@ -(\d+)", gold_hunk).group(1))
    added = [ln[1:] for ln in gold_hunk.splitlines(True) if ln.startswith("+") and ln[1:].strip()]
    if not added:
        return None
    here = _changed_function(old, start + 3)
    others = [f for f in _functions(old) if f is not here and not (here and here.lineno <= f.lineno <= here.end_lineno)]
    for fn in sorted(others, key=lambda f: abs(f.lineno - start)):
        new = _insert_in_body(old, fn, added)
        if compiles(new):
            return file_diff(path, old, new)
    return None


def breaks_other(path: str, old: str, fixed: str, gold_hunk: str, tests_text: str) -> str | None:
    """The gold plus a ``raise`` in another function of the same file: the one the tests name most,
    else the nearest (the official grade says whether it breaks a PASS_TO_PASS test)."""
    start = int(re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", gold_hunk).group(1))
    here = _changed_function(fixed, start + 3)
    others = [f for f in _functions(fixed) if f is not here and not f.name.startswith("__")
              and not (here and here.lineno <= f.lineno <= here.end_lineno)]
    # named by the tests first (most often first), then the nearest to the change
    others.sort(key=lambda f: (-len(re.findall(rf"\b{re.escape(f.name)}\b", tests_text)), abs(f.lineno - start)))
    for fn in others:
        new = _insert_in_body(fixed, fn, ['raise RuntimeError("an unrelated change broke this")\n'])
        if compiles(new):
            return file_diff(path, old, new)
    return None


def make_pool(gold: str, read_base, read_fixed, tests_text: str) -> dict[str, str]:
    """kind -> patch. ``read_base(path)`` / ``read_fixed(path)``: the file before / after the gold."""
    files = split_patch(gold)
    head, hunks = files[0]
    path = re.match(r"diff --git a/(\S+)", head).group(1)
    old, fixed = read_base(path), read_fixed(path)
    pool = {"gold": gold, "missing_hunk": missing_hunk(gold), "inverted": inverted(gold),
            "syntax_error": syntax_error(gold),
            "noop": noop(path, old, int(re.match(r"@@ -(\d+)", hunks[0]).group(1)) + 3)}
    if path.endswith(".py"):
        pool["wrong_function"] = wrong_function(path, old, hunks[0])
        pool["breaks_other"] = breaks_other(path, old, fixed, hunks[0], tests_text)
        if pool["breaks_other"] and len(files) > 1:   # the gold's other files too
            pool["breaks_other"] += join_patch(files[1:])
    return {k: v for k, v in pool.items() if v}
