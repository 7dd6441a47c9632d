"""Repository index: files, symbols, import graph, test links, BM25 tables."""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import cache
from .bm25 import BM25
from .classify import category
from .model import Symbol
from .scan import FileScan, scan_many

_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".venv",
              "venv", "build", "dist", ".eggs", "site-packages"}
_PREFIXES = ("src/", "lib/", "python/")


def module_names(path: str) -> list[str]:
    stem = path[:-3]
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    names = [stem.replace("/", ".")]
    for pre in _PREFIXES:
        if path.startswith(pre):
            names.append(names[0][len(pre):])
    return names


@dataclass
class RepoIndex:
    root: str
    paths: list[str]
    symbols: list[Symbol]
    file_syms: dict[str, list[int]]
    defs: dict[str, list[int]]            # short name -> symbol ids
    assigns: dict[str, list[str]]         # module-level `NAME = ...` -> paths (aliases, constants)
    modules: dict[str, str]               # dotted module -> path
    imports: dict[str, set[str]]          # path -> paths it imports
    imported_by: dict[str, set[str]]
    test_links: dict[str, set[str]]       # test path -> source paths it exercises
    literals: dict[str, list[str]]
    categories: dict[str, str]
    n_lines: dict[str, int]
    file_bm25: BM25
    sym_bm25: BM25
    path_id: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        self.path_id = {p: i for i, p in enumerate(self.paths)}
        self._lookups: dict[str, dict[str, list[str]]] = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_lookups"] = {}  # derived; rebuilt on first use
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("_lookups", {})

    def by_basename(self) -> dict[str, list[str]]:
        """`query.py` -> every path ending in it."""
        return self._lookup("base", lambda p: p.rpartition("/")[2])

    def by_stem(self) -> dict[str, list[str]]:
        """Lower-case module name -> paths; a package's __init__.py goes by its folder."""
        def stem(p: str) -> str:
            s = p[:-3].rpartition("/")[2]
            return (p.rpartition("/")[0].rpartition("/")[2] if s == "__init__" else s).lower()
        return self._lookup("stem", stem)

    def _lookup(self, name: str, key) -> dict[str, list[str]]:
        table = self._lookups.get(name)
        if table is None:
            table = self._lookups[name] = {}
            for p in self.paths:
                table.setdefault(key(p), []).append(p)
        return table


def list_python_files(repo: Path) -> list[str]:
    files = cache.git_files(repo)
    if files is None:
        files = []
        for dirpath, dirnames, filenames in os.walk(repo):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            rel = os.path.relpath(dirpath, repo)
            files.extend(os.path.normpath(os.path.join(rel, f)) for f in filenames)
    return sorted(f for f in files if f.endswith(".py") and (repo / f).is_file())


def _scan_all(root: str, paths: list[str]) -> list[FileScan]:
    if len(paths) < 300 or (os.cpu_count() or 1) < 2:
        return scan_many(root, paths)
    workers = min(os.cpu_count() or 2, 8)
    chunks = [paths[i::workers * 4] for i in range(workers * 4)]
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(scan_many, [root] * len(chunks), chunks))
    by_path = {s.path: s for part in parts for s in part}
    return [by_path[p] for p in paths]


def _resolve(mod: str, level: int, src_path: str, modules: dict[str, str]) -> str | None:
    if level:
        base = module_names(src_path)[-1].split(".")
        keep = len(base) - level + (1 if src_path.endswith("__init__.py") else 0)
        mod = ".".join(base[:max(keep, 0)] + ([mod] if mod else []))
    while mod:
        if mod in modules:
            return modules[mod]
        mod = mod.rpartition(".")[0]  # `from pkg.mod import name`: name may be a symbol
    return None


def build_index(repo: Path, paths: list[str] | None = None) -> RepoIndex:
    repo = Path(repo)
    paths = paths if paths is not None else list_python_files(repo)
    scans = _scan_all(str(repo), paths)
    modules: dict[str, str] = {}
    for p in paths:
        for name in module_names(p):
            modules.setdefault(name, p)
    symbols: list[Symbol] = []
    sym_docs, file_syms, defs, assigns = [], {}, {}, {}
    imports: dict[str, set[str]] = {}
    imported_by: dict[str, set[str]] = {p: set() for p in paths}
    for s in scans:
        ids = file_syms[s.path] = []
        for sym, terms in zip(s.symbols, s.sym_terms):
            ids.append(len(symbols))
            defs.setdefault(sym.name.rpartition(".")[2], []).append(len(symbols))
            symbols.append(sym)
            sym_docs.append(terms)
        for name in set(s.assigns):
            assigns.setdefault(name, []).append(s.path)
        targets = {_resolve(m, lvl, s.path, modules) for m, lvl in s.imports}
        imports[s.path] = {t for t in targets if t and t != s.path}
        for t in imports[s.path]:
            imported_by[t].add(s.path)
    categories = {p: category(p) for p in paths}
    return RepoIndex(
        root=str(repo), paths=paths, symbols=symbols, file_syms=file_syms, defs=defs,
        assigns=assigns,
        modules=modules, imports=imports, imported_by=imported_by,
        test_links=_test_links(paths, imports, categories),
        literals={s.path: s.literals for s in scans if s.literals},
        categories=categories, n_lines={s.path: s.n_lines for s in scans},
        file_bm25=BM25.build([s.terms for s in scans]),
        sym_bm25=BM25.build(sym_docs))


def _test_links(paths, imports, categories) -> dict[str, set[str]]:
    """A test exercises the non-test modules it imports and its namesake (test_foo -> foo)."""
    by_stem: dict[str, list[str]] = {}
    for p in paths:
        if categories[p] == "src":
            by_stem.setdefault(Path(p).stem, []).append(p)
    links = {}
    for p in paths:
        if categories[p] != "test":
            continue
        stem = Path(p).stem
        stem = stem[5:] if stem.startswith("test_") else stem.removesuffix("_test")
        linked = {t for t in imports.get(p, ()) if categories.get(t) == "src"}
        linked.update(by_stem.get(stem, [])[:3])
        links[p] = linked
    return links


_memo: dict[str, RepoIndex] = {}


def get_index(repo: Path) -> RepoIndex:
    """Index for the repo's current state: memory, then disk cache, then build."""
    repo = Path(repo).resolve()
    paths = list_python_files(repo)
    key = cache.state_key(repo, paths)
    idx = _memo.get(key)
    if idx is None:
        idx = cache.load(key)
        if idx is None:
            idx = build_index(repo, paths)
            cache.save(key, idx)
        _memo.clear()  # keep one index in memory; repos are large
        _memo[key] = idx
    return idx
