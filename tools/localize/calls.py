"""Call proximity: the functions that the issue's named functions call.

An issue names the API a user touched (`QuerySet.none()`); the fault often sits one call further in
(`Query.set_empty`). Bodies are read from disk only for the few strongly named symbols, so the index
carries no call graph."""
from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from .evidence import Evidence
from .index import RepoIndex

_CALL_RE = re.compile(r"\b([A-Za-z_]\w{2,})\s*\(")
MIN_STRENGTH = 1.0   # exact evidence a symbol needs before its callees count (tuned on tune + dev)
MAX_DEFS = 3         # a callee name defined in more files than this says nothing


def _body(idx: RepoIndex, sym, cache: dict[str, list[str]]) -> str:
    if sym.file not in cache:
        try:
            cache[sym.file] = (Path(idx.root) / sym.file).read_text(errors="replace").splitlines()
        except OSError:
            cache[sym.file] = []
    return "\n".join(cache[sym.file][sym.start:sym.end])   # after the def line: calls, not the signature


def callee_files(idx: RepoIndex, ev: Evidence) -> dict[str, float]:
    """Files defining what the strongly named functions call (not their own files), with counts
    shared among the files a name is defined in."""
    out: dict[str, float] = defaultdict(float)
    texts: dict[str, list[str]] = {}
    for sid, strength in ev.symbols.items():
        sym = idx.symbols[sid]
        if strength < MIN_STRENGTH or sym.kind == "class":
            continue
        names = set(_CALL_RE.findall(_body(idx, sym, texts))) - {sym.name.rsplit(".", 1)[-1]}
        for name in names:
            files = {idx.symbols[s].file for s in idx.defs.get(name, ())}
            if 0 < len(files) <= MAX_DEFS:
                for p in files - {sym.file}:
                    out[p] += 1.0 / len(files)
    return dict(out)
