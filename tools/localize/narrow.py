"""Narrowing with the model in the loop: ranked files -> files -> symbols -> line ranges.

Three short prompts in the manner of Agentless, each shown only what it needs: the ranked
paths, then skeletons of the chosen files (signatures and line spans, no bodies), then the
numbered bodies of the chosen symbols. Answers are parsed forgivingly and resolved against
the index; a name that resolves to nothing is dropped, never turned into a location. A stage
without a usable answer falls back to the ranker's result and records that it did.

    narrow(repo, issue, loc, model, opts, on_stage) -> Narrowed (a Localization + line_ranges)
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from collections.abc import Callable
from pathlib import Path

from dsfix.prompts import render

from .answers import merge_spans, parse_files, parse_ranges, parse_symbols
from .index import RepoIndex, get_index
from .results import Localization, Symbol
from .skeleton import estimate_tokens, repo_map


@dataclass
class NarrowOptions:
    stage_tokens: int = 3000     # prompt budget per stage (estimated as characters / 4)
    candidates: int = 10         # ranked files listed in the file stage
    max_files: int = 3
    max_symbols: int = 6
    max_ranges: int = 6


@dataclass
class Stage:
    name: str                    # files | symbols | lines
    prompt: str = ""
    answer: str = ""
    prompt_tokens: int = 0       # as the provider counted them
    completion_tokens: int = 0
    cost: float | None = 0.0
    called: bool = False
    fallback: bool = False       # nothing usable: the ranker's result stands in
    picked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)   # did-you-mean, dropped names, errors

    def summary(self) -> dict:
        return {"stage": self.name, "called": self.called, "prompt_estimate": estimate_tokens(self.prompt),
                "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                "cost": self.cost, "fallback": self.fallback, "picked": self.picked, "notes": self.notes}


@dataclass
class Narrowed(Localization):
    line_ranges: dict[str, list[tuple[int, int]]] = field(default_factory=dict)
    stages: list[Stage] = field(default_factory=list)

    def model_totals(self) -> dict:
        called = [s for s in self.stages if s.called]
        costs = [s.cost for s in called]
        return {"calls": len(called), "prompt_tokens": sum(s.prompt_tokens for s in called),
                "completion_tokens": sum(s.completion_tokens for s in called),
                "cost": None if None in costs else round(sum(c for c in costs if c is not None), 6)}


def narrow(repo: Path, issue: str, loc: Localization, model, opts: NarrowOptions | None = None,
           on_stage: Callable[[Stage], None] | None = None) -> Narrowed:
    """`model` is anything with `.query(messages) -> reply` (reply.content, .usage, .cost)."""
    repo, opts = Path(repo), opts or NarrowOptions()
    idx = get_index(repo)
    if not idx.paths:  # nothing to choose from: no call
        return Narrowed(files=list(loc.files), scores=dict(loc.scores), symbols=list(loc.symbols))
    asker = _Asker(model, on_stage)
    files = _stage_files(idx, issue, loc, asker, opts)
    syms = _stage_symbols(repo, idx, issue, loc, files, asker, opts)
    ranges = _stage_lines(repo, idx, issue, syms, asker, opts)
    order = files + [f for f in loc.files if f not in files]
    picked = {(s.file, s.name) for s in syms}
    return Narrowed(files=order, scores={f: loc.scores.get(f, 0.0) for f in order},
                    symbols=syms + [s for s in loc.symbols if (s.file, s.name) not in picked],
                    line_ranges=ranges, stages=asker.stages)


def ranker_pick(loc: Localization, opts: NarrowOptions) -> tuple[list[str], list[Symbol], dict]:
    """What narrowing falls back to at every stage: the ranker's top files, its symbols in
    them and their spans. Benchmarks compare against it."""
    files = loc.files[:opts.max_files]
    syms = _ranked_symbols(loc, files, opts)
    return files, syms, symbol_spans(syms)


def _ranked_symbols(loc: Localization, files: list[str], opts: NarrowOptions) -> list[Symbol]:
    return [s for s in loc.symbols if s.file in files][:opts.max_symbols]


def symbol_spans(syms: list[Symbol]) -> dict[str, list[tuple[int, int]]]:
    return merge_spans([(s.file, s.start, s.end) for s in _displayed(syms)])


class _Asker:
    """One model call per stage, each a fresh one-message conversation. After a model
    error the remaining stages make no call: the same error would only repeat."""

    def __init__(self, model, on_stage) -> None:
        self.model, self.on_stage = model, on_stage
        self.stages: list[Stage] = []
        self.broken: str | None = None

    def ask(self, name: str, prompt: str) -> Stage:
        st = Stage(name, prompt)
        if self.broken:
            st.notes.append(f"no model call after an earlier {self.broken}")
            return st
        try:
            reply = self.model.query([{"role": "user", "content": prompt}])
        except Exception as e:  # noqa: BLE001 - a failed call degrades to the ranker, with the reason
            self.broken = f"model error ({type(e).__name__}: {str(e)[:200]})"
            st.notes.append(self.broken)
            return st
        usage = getattr(reply, "usage", None)
        st.called, st.answer = True, reply.content or ""
        st.prompt_tokens = int(getattr(usage, "prompt", 0) or 0)
        st.completion_tokens = int(getattr(usage, "completion", 0) or 0)
        st.cost = getattr(reply, "cost", None)
        return st

    def done(self, st: Stage, picked: list[str], fallback: str | None) -> None:
        st.picked = picked
        if fallback:
            st.fallback = True
            st.notes.append(fallback)
        self.stages.append(st)
        if self.on_stage:
            self.on_stage(st)


# -- prompts within a budget ---------------------------------------------------------------

def _clip(text: str, chars: int) -> str:
    """Head and tail of a long issue: tracebacks and expected output often close it."""
    if len(text) <= chars:
        return text
    marker = f"\n... ({len(text) - chars} characters of the issue left out) ...\n"
    keep = max(chars - len(marker), 0)
    head = keep * 2 // 3
    return text[:head] + marker + text[len(text) - (keep - head):]


def _fit(template: str, budget_tokens: int, issue: str, body: Callable[[int], str], **kw) -> str:
    """Render with the issue clipped to half the budget and the body given what is left."""
    budget = budget_tokens * 4 - 3
    issue = _clip(issue.strip(), budget // 2)
    frame = render(template, issue=issue, body="", **kw)
    return render(template, issue=issue, body=body(max(budget - len(frame), 0)), **kw)


def _take_lines(lines: list[str], room: int, more: str = "... ({n} more)") -> str:
    """As many lines as fit in `room` characters, each leaving room to say how many did not."""
    out, used = [], 0
    for i, line in enumerate(lines):
        reserve = 0 if i == len(lines) - 1 else len(more) + 8
        if used + len(line) + 1 + reserve > room:
            marker = more.format(n=len(lines) - i)
            if used + len(marker) <= room:
                out.append(marker)
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


# -- stage 1: files ------------------------------------------------------------------------

def _stage_files(idx: RepoIndex, issue: str, loc: Localization, asker: _Asker, opts: NarrowOptions) -> list[str]:
    shown = loc.files[:opts.candidates]
    hints: dict[str, list[str]] = {}
    for s in loc.symbols:
        hints.setdefault(s.file, [])
        if len(hints[s.file]) < 3 and s.name not in hints[s.file]:
            hints[s.file].append(s.name)
    lines = [f"{i}. {f}" + (f"  ({', '.join(hints[f])})" if hints.get(f) else "")
             for i, f in enumerate(shown, 1)]
    prompt = _fit("narrow_files", opts.stage_tokens, issue, lambda room: _take_lines(lines, room),
                  max_files=opts.max_files)
    st = asker.ask("files", prompt)
    picked = parse_files(st.answer, idx, shown, st.notes)[:opts.max_files]
    why = None
    if not picked:
        picked = loc.files[:opts.max_files]
        why = "no usable file in the answer: the ranker's top files stand in"
    asker.done(st, picked, why)
    return picked


# -- stage 2: symbols ----------------------------------------------------------------------

_GLOBAL = re.compile(r"([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=(?!=)")


def module_globals(repo: Path, rel: str, limit: int = 30) -> list[Symbol]:
    """Module-level assignments with their line spans (the index keeps names, not lines)."""
    try:
        text = (repo / rel).read_text(errors="replace")
    except OSError:
        return []
    lines, out = text.splitlines(), []
    try:
        nodes = ast.parse(text).body
    except (SyntaxError, ValueError):  # Python 2 files: one line per assignment
        for i, line in enumerate(lines, 1):
            m = _GLOBAL.match(line)
            if m:
                out.append(Symbol(rel, m.group(1), "variable", i, i, line.strip()[:80]))
        return out[:limit]
    for n in nodes:
        targets = n.targets if isinstance(n, ast.Assign) else [n.target] if isinstance(
            n, (ast.AnnAssign, ast.AugAssign)) else []
        for t in targets:
            for name in ([t] if isinstance(t, ast.Name) else getattr(t, "elts", [])):
                if isinstance(name, ast.Name):
                    out.append(Symbol(rel, name.id, "variable", n.lineno, n.end_lineno or n.lineno,
                                      lines[n.lineno - 1].strip()[:80]))
    return out[:limit]


def _file_symbols(repo: Path, idx: RepoIndex, rel: str) -> list[Symbol]:
    return [idx.symbols[i] for i in idx.file_syms.get(rel, ())] + module_globals(repo, rel)


def _skeleton(repo: Path, files: list[str], globs: dict[str, list[Symbol]], room: int) -> str:
    glines = []
    for f in files:
        if globs[f]:
            glines.append(f)
            glines.extend(f"  {g.start}-{g.end} {g.signature}" for g in globs[f])
    gtext = _take_lines(["Module-level variables:"] + glines, room // 4) if glines else ""
    smap = repo_map(repo, files, max_tokens=max((room - len(gtext) - 2) // 4, 1))
    return smap + ("\n\n" + gtext if gtext else "")


def _stage_symbols(repo: Path, idx: RepoIndex, issue: str, loc: Localization, files: list[str],
                   asker: _Asker, opts: NarrowOptions) -> list[Symbol]:
    cands = {f: _file_symbols(repo, idx, f) for f in files}
    ranked = _ranked_symbols(loc, files, opts)
    if not any(cands.values()):
        st = Stage("symbols")
        asker.done(st, [], "the chosen files define nothing: no model call")
        return ranked
    globs = {f: [s for s in cands[f] if s.kind == "variable"] for f in files}
    prompt = _fit("narrow_symbols", opts.stage_tokens, issue,
                  lambda room: _skeleton(repo, files, globs, room), max_symbols=opts.max_symbols)
    st = asker.ask("symbols", prompt)
    picked = parse_symbols(st.answer, idx, cands, lambda f: _file_symbols(repo, idx, f), st.notes)
    picked = picked[:opts.max_symbols]
    why = None
    if not picked:
        picked, why = ranked, "no usable symbol in the answer: the ranker's symbols stand in"
    asker.done(st, [f"{s.file}: {s.name}" for s in picked], why)
    return picked


# -- stage 3: line ranges ------------------------------------------------------------------

def _displayed(syms: list[Symbol]) -> list[Symbol]:
    """A class with a chosen method shows the method; a function shows its nested defs."""
    def inside(a: Symbol, b: Symbol) -> bool:
        return a is not b and a.file == b.file and b.start <= a.start and a.end <= b.end
    keep = []
    for s in syms:
        if s.kind == "class" and any(inside(o, s) for o in syms):
            continue
        if any(inside(s, o) and o.kind != "class" for o in syms):
            continue
        keep.append(s)
    return keep


def _bodies(repo: Path, syms: list[Symbol], room: int) -> str:
    parts, left = [], room
    cache: dict[str, list[str]] = {}
    for k, s in enumerate(syms):
        if s.file not in cache:
            try:
                cache[s.file] = (repo / s.file).read_text(errors="replace").splitlines()
            except OSError:
                cache[s.file] = []
        head = f"## {s.file}: {s.name} (lines {s.start}-{s.end})\n```\n"
        share = left // (len(syms) - k) - len(head) - 4
        width = len(str(s.end))
        lines = [f"{i:>{width}} {t}" for i, t in enumerate(cache[s.file][s.start - 1:s.end], s.start)]
        body = _take_lines(lines, share, "... ({n} more lines)")
        if share <= 0 or not body:
            continue
        block = head + body + "\n```"
        parts.append(block)
        left -= len(block) + 2
    return "\n\n".join(parts)


def _stage_lines(repo: Path, idx: RepoIndex, issue: str, syms: list[Symbol], asker: _Asker,
                 opts: NarrowOptions) -> dict[str, list[tuple[int, int]]]:
    shown = _displayed(syms)
    if not shown:
        asker.done(Stage("lines"), [], "no symbols to show: no model call, no line ranges")
        return {}
    prompt = _fit("narrow_lines", opts.stage_tokens, issue, lambda room: _bodies(repo, shown, room),
                  max_ranges=opts.max_ranges)
    st = asker.ask("lines", prompt)
    ranges = parse_ranges(st.answer, idx, shown, st.notes, opts.max_ranges)
    why = None
    if not ranges:
        ranges = symbol_spans(shown)
        why = "no usable line range in the answer: the chosen symbols' spans stand in"
    asker.done(st, [f"{f}:{a}-{b}" for f, rs in ranges.items() for a, b in rs], why)
    return ranges
