"""Repository index: files, symbols, import graph, test links, BM25 tables."""
from __future__ import annotations

import os
import re
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import cache
from .bm25 import BM25
from .classify import category
from .results import Symbol
from .scan import FileScan, scan_file

_SKIP_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".tox", ".venv",
              "venv", "build", "dist", ".eggs", "site-packages"}
_PREFIXES = ("src/", "lib/", "python/")
# other languages (tree-sitter, scan_ts.py): not in dependency, build output or bundles
_TS_SKIP_RE = re.compile(r"(^|/)(node_modules|bower_components|vendor|third_party|dist|build|out|"
                         r"target|coverage|\.next|\.nuxt)/|[.-]min\.[cm]?js$|\.bundle\.js$|\.d\.ts$")


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

    def __post_init__(self) -> None:
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
            s = p[:-3].rpartition("/")[2] if p.endswith(".py") else _stem(p)
            return (p.rpartition("/")[0].rpartition("/")[2] if s == "__init__" else s).lower()
        return self._lookup("stem", stem)

    def _lookup(self, name: str, key) -> dict[str, list[str]]:
        table = self._lookups.get(name)
        if table is None:
            table = self._lookups[name] = {}
            for p in self.paths:
                table.setdefault(key(p), []).append(p)
        return table


def _candidate_files(repo: Path) -> list[str]:
    """Git's tracked + untracked-not-ignored files; a walk (minus _SKIP_DIRS) outside git."""
    files = cache.git_files(repo)
    if files is None:
        files = []
        for dirpath, dirnames, filenames in os.walk(repo):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            rel = os.path.relpath(dirpath, repo)
            files.extend(os.path.normpath(os.path.join(rel, f)) for f in filenames)
    return files


def list_files(repo: Path) -> list[str]:
    """Python files, plus the files of other languages whose tree-sitter package is installed
    (not dependencies, build output, bundles or minified code)."""
    files = _candidate_files(repo)
    exts = _other_extensions()
    return sorted(f for f in files
                  if (f.endswith(".py") or (exts and _ext(f) in exts and not _TS_SKIP_RE.search(f)))
                  and (repo / f).is_file())


def _other_extensions() -> set[str]:
    try:
        from .scan_ts import supported_extensions
    except Exception:  # noqa: BLE001 -- Python always works, whatever else is broken
        return set()
    return supported_extensions()


def _ext(path: str) -> str:
    base = path.rpartition("/")[2]
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


def _stem(path: str) -> str:
    base = path.rpartition("/")[2]
    return base[:base.rfind(".")] if base.rfind(".") > 0 else base


def scan_many(root: str, paths: list[str]) -> list[FileScan | None]:
    """Python through scan.py; other languages through scan_ts.py (None: not indexed)."""
    out: list[FileScan | None] = []
    for p in paths:
        if p.endswith(".py"):
            out.append(scan_file(root, p))
        else:
            try:
                from .scan_ts import scan_file as scan_other
                out.append(scan_other(root, p))
            except Exception:  # noqa: BLE001 -- one odd file must not break the index
                out.append(None)
    return out


def _scan_all(root: str, paths: list[str]) -> list[FileScan | None]:
    if len(paths) < 300 or (os.cpu_count() or 1) < 2:
        return scan_many(root, paths)
    workers = min(os.cpu_count() or 2, 8)
    chunks = [paths[i::workers * 4] for i in range(workers * 4)]
    with ProcessPoolExecutor(workers) as pool:
        parts = list(pool.map(scan_many, [root] * len(chunks), chunks))
    by_path = {p: s for chunk, part in zip(chunks, parts) for p, s in zip(chunk, part)}
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


def _resolve_other(target: str, how: int, pathset: set[str], by_base: dict[str, list[str]]):
    """-1: a repo path (JS/TS relative import, Rust `mod`); -2: a path suffix (Java import)."""
    if how == -1:
        return target if target in pathset else None
    hits = [p for p in by_base.get(target.rpartition("/")[2], ())
            if p == target or p.endswith("/" + target)]
    return hits[0] if len(hits) == 1 else None


def build_index(repo: Path, paths: list[str] | None = None) -> RepoIndex:
    repo = Path(repo)
    paths = paths if paths is not None else list_files(repo)
    scanned = _scan_all(str(repo), paths)
    scans = [s for s in scanned if s is not None]
    if len(scans) < len(scanned):  # other languages' files that are not indexed
        paths = [s.path for s in scans]
    modules: dict[str, str] = {}
    for p in paths:
        if p.endswith(".py"):
            for name in module_names(p):
                modules.setdefault(name, p)
    pathset = set(paths)
    by_base: dict[str, list[str]] = {}
    for p in paths:
        by_base.setdefault(p.rpartition("/")[2], []).append(p)
    symbols: list[Symbol] = []
    sym_docs: list[Counter] = []
    file_syms: dict[str, list[int]] = {}
    defs: dict[str, list[int]] = {}
    assigns: dict[str, list[str]] = {}
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
        targets = {_resolve(m, lvl, s.path, modules) if lvl >= 0
                   else _resolve_other(m, lvl, pathset, by_base) for m, lvl in s.imports}
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
    by_stem: dict[tuple[bool, str], list[str]] = {}  # (is Python, stem): namesakes in one language
    for p in paths:
        if categories[p] == "src":
            by_stem.setdefault((p.endswith(".py"), _stem_of(p)), []).append(p)
    links = {}
    for p in paths:
        if categories[p] != "test":
            continue
        stem = Path(p).stem
        if p.endswith(".py"):
            stem = stem[5:] if stem.startswith("test_") else stem.removesuffix("_test")
        else:  # foo.test.ts, foo.spec.js, foo_test.go, FooTest.java, test_foo.rs
            stem = re.sub(r"([._-](test|spec)s?|Tests?)$", "", stem)
            stem = stem[5:] if stem.startswith("test_") else stem
        linked = {t for t in imports.get(p, ()) if categories.get(t) == "src"}
        linked.update(by_stem.get((p.endswith(".py"), stem), [])[:3])
        links[p] = linked
    return links


_memo: dict[str, RepoIndex] = {}


def _stem_of(p: str) -> str:
    return Path(p).stem if p.endswith(".py") else _stem(p)


def _state_key(repo: Path, paths: list[str]) -> str:
    """cache.state_key covers HEAD and dirty Python files; dirty files of other languages are
    added here (only when the repo has any, so a Python-only repo keeps its key)."""
    key = cache.state_key(repo, paths)
    if all(p.endswith(".py") for p in paths):
        return key
    import hashlib
    status = cache._git(repo, "status", "--porcelain", "-z", "--untracked-files=all")
    if status is None:
        return key  # not git: state_key already hashed every listed file's content
    listed = set(paths)
    dirty = sorted(e[3:] for e in status.split("\0") if len(e) > 3 and e[3:] in listed
                   and not e[3:].endswith(".py"))
    h = hashlib.sha1(key.encode())
    h.update(b"langs\0")
    cache._hash_files(h, repo, dirty)
    return h.hexdigest()


def get_index(repo: Path) -> RepoIndex:
    """Index for the repo's current state: memory, then disk cache, then build."""
    repo = Path(repo).resolve()
    paths = list_files(repo)
    key = _state_key(repo, paths)
    idx = _memo.get(key)
    if idx is None:
        idx = cache.load(key)
        if idx is None:
            idx = build_index(repo, paths)
            cache.save(key, idx)
        _memo.clear()  # keep one index in memory; repos are large
        _memo[key] = idx
    idx.root = str(repo)  # a shared cache entry may have been built in another checkout
    return idx
