"""Look-ups: the model asks to see more of the repository before it writes a fix.

A fixed pipeline shows the model what localization chose; when that misses the place to change,
the model is blind. A look-up is a bounded request in a ```lookup block, one per line:

    open PATH:START-END     lines of a file (at most MAX_LINES), numbered as in the file
    open PATH               its first MAX_LINES lines
    search TEXT             where TEXT occurs (at most MAX_HITS lines, path:line: text)

Answered from the host's snapshot of the working tree (``read(path)`` and ``names``), never from
the environment, where the repository's code runs; paths are checked as edits are. The loop
counts look-ups against their own limit and each costs a model step like any other.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

MAX_REQUESTS = 3    # per answer
MAX_LINES = 200     # per opened range
MAX_HITS = 20       # per search
MAX_FILE = 1_000_000   # characters: larger files are not searched (data, generated code)

_BLOCK = re.compile(r"^```lookup[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)
_OPEN = re.compile(r"^open\s+(?P<path>\S+?)(?::(?P<start>\d+)(?:-(?P<end>\d+))?)?$")


@dataclass(frozen=True)
class Request:
    kind: str            # "open" | "search"
    arg: str
    start: int = 1
    end: int = 0         # 0: start + MAX_LINES - 1


def find_requests(answer: str) -> list[Request] | None:
    """The look-ups in an answer's ```lookup block, or None when it has none."""
    m = _BLOCK.search(answer)
    if not m:
        return None
    reqs = []
    for line in (l.strip() for l in m.group(1).splitlines()):
        if o := _OPEN.match(line):
            start = max(1, int(o["start"] or 1))
            reqs.append(Request("open", o["path"], start, int(o["end"] or 0)))
        elif line.startswith("search "):
            reqs.append(Request("search", line[len("search "):].strip().strip("\"'`")))
        elif line:
            reqs.append(Request("unknown", line))
    return reqs[:MAX_REQUESTS]


def answer(reqs: list[Request], read: Callable[[str], str | None], names: Iterable[str]) -> str:
    """Each request's answer under its own heading. ``read`` raises ValueError for a path it must
    not read (outside the repository, through a symlink)."""
    names = list(names)
    return "\n\n".join(f"## {_title(r)}\n{_one(r, read, names)}" for r in reqs)


def _title(r: Request) -> str:
    if r.kind == "open":
        return f"open {r.arg}:{r.start}-{_end(r)}"
    return f"{r.kind} {r.arg}"


def _end(r: Request) -> int:
    return min(r.end or r.start + MAX_LINES - 1, r.start + MAX_LINES - 1)


def _one(r: Request, read, names: list[str]) -> str:
    if r.kind == "search":
        return _search(r.arg, read, names)
    if r.kind != "open":
        return f"not a look-up: {r.arg!r} (use `open PATH:START-END` or `search TEXT`)"
    try:
        text = read(r.arg)
    except ValueError as e:
        return f"refused: {e}"
    if text is None:
        close = [n for n in names if n.endswith("/" + r.arg.rsplit("/", 1)[-1])][:5]
        return f"no such file: {r.arg}" + (f" (did you mean {', '.join(close)}?)" if close else "")
    lines = text.splitlines()
    end = min(_end(r), len(lines))
    if r.start > len(lines):
        return f"{r.arg} has {len(lines)} lines"
    return "\n".join(f"{i:>5}  {lines[i - 1]}" for i in range(r.start, end + 1))


def _search(needle: str, read, names: list[str]) -> str:
    if len(needle) < 3:
        return "search for at least 3 characters"
    hits = []
    for name in names:
        try:
            text = read(name)
        except ValueError:
            continue
        if not text or len(text) > MAX_FILE or needle not in text:
            continue
        hits += [f"{name}:{i}: {line.strip()[:200]}" for i, line in enumerate(text.splitlines(), 1)
                 if needle in line]
        if len(hits) >= MAX_HITS:
            break
    if not hits:
        return f"{needle!r} occurs nowhere in the repository"
    more = " (first matches only)" if len(hits) >= MAX_HITS else ""
    return "\n".join(hits[:MAX_HITS]) + more
