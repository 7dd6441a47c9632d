"""Syntax check of changed files: Python via compile(), others via tree-sitter if installed.

JavaScript, TypeScript, Go, Java and Rust use the official grammar packages (the `langs` extra:
tree-sitter-javascript, ...); other languages use tree_sitter_language_pack or
tree_sitter_languages when one is installed. A language with no grammar here is not checked."""
from __future__ import annotations

import os
import threading
import warnings

_TS_LANG = {".js": "javascript", ".jsx": "javascript", ".mjs": "javascript",
            ".cjs": "javascript", ".ts": "typescript", ".tsx": "tsx", ".go": "go",
            ".rs": "rust", ".java": "java", ".c": "c", ".h": "c", ".cpp": "cpp",
            ".rb": "ruby", ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml"}


def syntax_errors(path: str, text: str) -> list[str]:
    """Human-readable syntax errors of `text` as the file `path`; [] if fine or unchecked."""
    ext = os.path.splitext(path)[1].lower()
    if ext in (".py", ".pyi"):
        return _python(path, text)
    if ext in _TS_LANG:
        return _tree_sitter(path, text, _TS_LANG[ext])
    return []


def _python(path: str, text: str) -> list[str]:
    try:
        with warnings.catch_warnings():  # SyntaxWarnings are not errors; keep stderr quiet
            warnings.simplefilter("ignore")
            compile(text, path, "exec", dont_inherit=True)
    except SyntaxError as e:
        where = f"{path}:{e.lineno}:{e.offset}" if e.lineno else path
        src = (e.text or "").rstrip("\n")
        return [f"{where}: {e.msg}" + (f": {src.strip()!r}" if src.strip() else "")]
    except (ValueError, MemoryError, RecursionError) as e:  # NUL bytes, absurd nesting
        return [f"{path}: {e}"]
    return []


def _tree_sitter(path: str, text: str, lang: str) -> list[str]:
    parser = _ts_parser(lang)
    if parser is None:
        return []
    root = parser.parse(text.encode("utf-8", "surrogateescape")).root_node
    if not root.has_error:
        return []
    bad = _first_error(root)
    line = bad.start_point[0] + 1 if bad is not None else "?"
    return [f"{path}:{line}: syntax error (tree-sitter {lang})"]


# language -> (official package, function returning its grammar)
_OFFICIAL = {"javascript": ("tree_sitter_javascript", "language"),
             "typescript": ("tree_sitter_typescript", "language_typescript"),
             "tsx": ("tree_sitter_typescript", "language_tsx"),
             "go": ("tree_sitter_go", "language"), "java": ("tree_sitter_java", "language"),
             "rust": ("tree_sitter_rust", "language")}
_local = threading.local()  # a tree-sitter Parser is not to be shared between threads


def _ts_parser(lang: str):
    parsers = _local.__dict__.setdefault("parsers", {})
    if lang not in parsers:
        parsers[lang] = _official_parser(lang) or _pack_parser(lang)
    return parsers[lang]


def _official_parser(lang: str):
    spec = _OFFICIAL.get(lang)
    if spec is None:
        return None
    try:
        import importlib

        import tree_sitter
        return tree_sitter.Parser(tree_sitter.Language(getattr(importlib.import_module(spec[0]), spec[1])()))
    except Exception:  # noqa: BLE001 - not installed, or an incompatible binding
        return None


def _pack_parser(lang: str):
    for mod in ("tree_sitter_language_pack", "tree_sitter_languages"):
        try:
            return __import__(mod).get_parser(lang)
        except Exception:  # noqa: BLE001 - not installed, or no grammar for this language
            continue
    return None


def _first_error(node):
    if node.type == "ERROR" or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing:
            found = _first_error(child)
            if found is not None:
                return found
    return None
