"""Where the behaviour an issue describes lives: the functions holding the strings it quotes, and
the places that declare and read the options, config keys and markers it names.

An issue says what the program *did* ("`--fixtures` does not show the scope", "ValueError: Unknown
format code"); the code that does it is where that message is raised or that option is read, often
far from any name the issue spells as an identifier. Files are read from disk only for the few
candidates the index's postings allow, so the index itself carries no per-line data.
"""
from __future__ import annotations

import math
import re
from pathlib import Path

from .index import RepoIndex

LITERAL_CREDIT = 0.5  # per quoted string found in a function, shared among the files holding it
LITERAL_CAP = 0.9
MIN_WORDS = 3
MAX_FILES = 12        # a name or string found in more files than this says nothing about where
DEST_RE = re.compile(r"\bdest\s*=\s*[\"'](\w+)[\"']")   # argparse/optparse: the attribute it sets


def read_lines(idx: RepoIndex, path: str, cache: dict[str, list[str]]) -> list[str]:
    if path not in cache:
        try:
            cache[path] = (Path(idx.root) / path).read_text(errors="replace").splitlines()
        except OSError:
            cache[path] = []
    return cache[path]


def enclosing(idx: RepoIndex, path: str, line: int) -> int | None:
    """The innermost function or method holding `line` (a class says too little)."""
    best = None
    for sid in idx.file_syms.get(path, ()):
        s = idx.symbols[sid]
        if s.start <= line <= s.end and s.kind != "class":
            if best is None or s.end - s.start < idx.symbols[best].end - idx.symbols[best].start:
                best = sid
    return best


def literal_sites(idx: RepoIndex, hits: dict[str, set[str]], ev, cache: dict) -> None:
    """A string the issue quotes (an error message, a warning, output) found as a literal: the
    function that holds it is where that behaviour is produced, so it is ranked as a symbol."""
    credit: dict[int, float] = {}
    for chunk, paths in hits.items():
        # a message has words; `************* Module ` is a banner of the tool's output
        if len(paths) > MAX_FILES or len(re.findall(r"[A-Za-z]{2,}", chunk)) < MIN_WORDS:
            continue
        for p in paths:
            for i, text in enumerate(read_lines(idx, p, cache), 1):
                if chunk in text:
                    sid = enclosing(idx, p, i)
                    if sid is not None:
                        credit[sid] = credit.get(sid, 0.0) + 1.0 / len(paths)
    for sid, v in credit.items():
        # below calls.MIN_STRENGTH: a message's function is a place to show, and its callees are
        # not thereby named (a raise site calls formatting helpers, not the fault)
        ev.symbols[sid] += min(LITERAL_CREDIT * v, LITERAL_CAP)


OPTION_FILES = 300     # files read to find a `--option`'s declaration: its literal is specific


def _patterns(name: str) -> tuple[re.Pattern, re.Pattern | None]:
    """(declared, read): `ignore-paths`, `ignore_paths`, `--ignore-paths` as a string literal, and
    `.ignore_paths` or `getoption("ignore_paths")` / `config["ignore_paths"]` reading it: one option
    under the spellings a command line, a config file and code use. A `--name` the issue wrote with
    its dashes is looked for only so (`--fixtures`, not every `.fixtures`)."""
    if name.startswith("--"):
        body = "[-_]".join(re.escape(p) for p in re.split(r"[-_]", name[2:]))
        return (re.compile(rf"[\"']--{body}[\"'=]"),
                re.compile(rf"\bget\w*\(\s*[\"']--{body}[\"']"))
    body = "[-_]".join(re.escape(p) for p in re.split(r"[-_]", name))
    return (re.compile(rf"[\"']-{{0,2}}{body}[\"'=]"),
            re.compile(rf"\.{body}\b|[(\[]\s*[\"']{body}[\"']|\bget\w*\(\s*[\"']-{{0,2}}{body}[\"']"))


def _candidates(idx: RepoIndex, name: str) -> set[str]:
    """Files whose terms hold the name (as one identifier, or every part of a hyphenated one)."""
    bm = idx.file_bm25
    most = OPTION_FILES if name.startswith("--") else 4 * MAX_FILES   # more: too common a word
    name = name.lstrip("-")
    whole = set(bm.docs_with(name.replace("-", "_").lower()))
    parts = [p.lower() for p in re.split(r"[-_]", name) if p]
    # a part the index does not keep (`import`, a keyword) narrows nothing: the others do
    posted = [set(bm.docs_with(p)) for p in parts] if len(parts) > 1 else []
    posted = [d for d in posted if d]
    both = set.intersection(*posted) if posted else set()
    return {idx.paths[d] for d in (whole if len(whole) <= most else set())
            | (both if len(both) <= most else set())}


def name_sites(idx: RepoIndex, names: set[str], ev, cache: dict) -> None:
    """Options, config keys and markers the issue names (`--fixtures`, `ignore-paths`,
    `autodoc_typehints`): the files that declare or read them, and the functions that read them,
    where the behaviour they switch lives. A declaration's `dest=` is followed one step, since the
    code reads the option under that name (`--fixtures` sets `showfixtures`); from the readers, the
    functions they call (follow_calls)."""
    todo = list(names)
    seen: set[str] = set()
    readers: dict[int, float] = {}
    while todo:
        name = todo.pop()
        if name in seen or len(name.lstrip("-")) < 4:
            continue
        seen.add(name)
        found = _find(idx, name, cache)
        if not 0 < len(found) <= MAX_FILES:
            continue
        share = 1.0 / math.sqrt(len(found))
        for p, lines in found.items():
            ev.add("site", p, share)
            for i, read in lines:
                sid = enclosing(idx, p, i)
                if sid is not None:
                    v = share / len(lines) ** 0.5
                    ev.symbols[sid] += v
                    if read:   # a declaration (addoption) lists many options: not followed
                        readers[sid] = readers.get(sid, 0.0) + v
                # the declaration's arguments may run over the next lines
                todo += DEST_RE.findall("\n".join(cache[p][i - 1:i + DEST_LINES]))
    follow_calls(idx, readers, ev, cache)


DEST_LINES = 6        # lines after an option's name where its `dest=` may stand


def _find(idx: RepoIndex, name: str, cache: dict) -> dict[str, list[tuple[int, bool]]]:
    """Per source file, the lines that declare or read `name`, and whether the line reads it."""
    declared, read = _patterns(name)
    found = {}
    for p in _candidates(idx, name):
        if idx.categories.get(p, "src") != "src":
            continue
        lines = []
        for i, t in enumerate(read_lines(idx, p, cache), 1):
            r = bool(read and read.search(t))
            if r or declared.search(t):
                lines.append((i, r))
        if lines:
            found[p] = lines
    return found


CALL_DECAY = 0.5      # a callee of a reader is a weaker hypothesis than the reader itself
CALL_HOPS = 2
MAX_DEFS = 3          # a name defined in more files than this says nothing about which one
_NAME_RE = re.compile(r"\b([A-Za-z_]\w{2,})\b")


def follow_calls(idx: RepoIndex, start: dict[int, float], ev, cache: dict) -> None:
    """From the functions that read an option, the functions they call or pass on (pytest's
    `wrap_session(config, _showfixtures_main)`): the behaviour an option switches is often done
    a call or two further in. Each hop weighs CALL_DECAY of the one before."""
    frontier, done = dict(start), set(start)
    for _ in range(CALL_HOPS):
        nxt: dict[int, float] = {}
        for sid, v in frontier.items():
            s = idx.symbols[sid]
            body = "\n".join(read_lines(idx, s.file, cache)[s.start:s.end])
            for name in set(_NAME_RE.findall(body)) - {s.name.rpartition(".")[2]}:
                targets = [t for t in idx.defs.get(name, ()) if idx.symbols[t].kind != "class"
                           and idx.categories.get(idx.symbols[t].file, "src") == "src"]
                if 0 < len({idx.symbols[t].file for t in targets}) <= MAX_DEFS:
                    for t in targets:
                        if t not in done:
                            nxt[t] = max(nxt.get(t, 0.0), v * CALL_DECAY / len(targets))
        for t, v in nxt.items():
            ev.symbols[t] += v
        done |= set(nxt)
        frontier = nxt
