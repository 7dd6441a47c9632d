"""Per-file scanning: symbols with line spans, imports, string literals, terms.

Runs in worker processes, so it returns plain picklable data.
"""
from __future__ import annotations

import ast
import re
from itertools import chain
from collections import Counter
from dataclasses import dataclass, field

from .classify import category
from .model import Symbol
from .tokenize import split_identifier, term_counts, tokenize

# Generated files (e.g. sympy's rubi rules, 1 MB each) cost seconds in ast;
# above this size a regex pass finds defs well enough.
AST_MAX_BYTES = 250_000
_DEF_RE = re.compile(r"^([ \t]*)(?:async\s+)?(def|class)\s+([A-Za-z_]\w*)", re.M)
_IMPORT_RE = re.compile(r"^[ \t]*(?:from[ \t]+(\.*[\w.]*)[ \t]+import\b|import[ \t]+([\w., \t]+))", re.M)
_NAMES_RE = re.compile(r"[ \t]*\(?([\w, \t\n]+)")
_STR_RE = re.compile(r"([\"'])([^\"'\n\\]{12,200})\1")


@dataclass
class FileScan:
    path: str
    symbols: list[Symbol] = field(default_factory=list)
    imports: list[tuple[str, int]] = field(default_factory=list)  # (module, relative level)
    literals: list[str] = field(default_factory=list)
    terms: Counter = field(default_factory=Counter)
    sym_terms: list[Counter] = field(default_factory=list)
    n_lines: int = 0


def _signature(node: ast.AST) -> str:
    if isinstance(node, ast.ClassDef):
        bases = ", ".join(ast.unparse(b) for b in node.bases)
        return f"class {node.name}({bases}):" if bases else f"class {node.name}:"
    prefix = "async def" if isinstance(node, ast.AsyncFunctionDef) else "def"
    ret = f" -> {ast.unparse(node.returns)}" if node.returns else ""
    return f"{prefix} {node.name}({ast.unparse(node.args)}){ret}:"


def _walk_defs(body, prefix: str, in_class: bool, out: list):
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            is_cls = isinstance(node, ast.ClassDef)
            kind = "class" if is_cls else ("method" if in_class else "function")
            name = prefix + node.name
            out.append((node, name, kind))
            _walk_defs(node.body, name + ".", is_cls, out)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            # defs guarded by version checks / try-imports are still module API
            for sub in ("body", "orelse", "finalbody", "handlers"):
                _walk_defs(getattr(node, sub, []) or [], prefix, in_class, out)
        elif isinstance(node, ast.ExceptHandler):
            _walk_defs(node.body, prefix, in_class, out)


def _scan_ast(scan: FileScan, tree: ast.Module, line_terms: list[list[str]]):
    defs: list = []
    _walk_defs(tree.body, "", False, defs)
    for node, name, kind in defs:
        start, end = node.lineno, node.end_lineno or node.lineno
        sig = _signature(node)
        scan.symbols.append(Symbol(scan.path, name, kind, start, end, sig))
        if kind == "class":  # header, docstring and member names, not whole bodies
            doc = ast.get_docstring(node) or ""
            members = " ".join(n.name for n in node.body if hasattr(n, "name"))
            terms = term_counts(f"{sig} {doc} {members}")
        else:
            terms = Counter(chain.from_iterable(line_terms[start - 1:end]))
        scan.sym_terms.append(_name_boost(name) + terms)


def _scan_regex(scan: FileScan, text: str, lines: list[str], line_terms: list[list[str]]):
    indents = [_indent(ln) for ln in lines]
    stack: list[tuple[int, str, str]] = []  # (indent, name, kind) of enclosing defs
    start, pos = 1, 0
    for m in _DEF_RE.finditer(text):
        indent, kw, name = len(m.group(1).expandtabs()), m.group(2), m.group(3)
        start += text.count("\n", pos, m.start())  # incremental: files can be huge
        pos = m.start()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        end = _block_end(indents, start, indent)
        qual = ".".join([s[1] for s in stack] + [name])
        kind = "class" if kw == "class" else (
            "method" if stack and stack[-1][2] == "class" else "function")
        scan.symbols.append(Symbol(scan.path, qual, kind, start, end, lines[start - 1].strip()))
        terms = Counter(chain.from_iterable(line_terms[start - 1:end])) if kind != "class" \
            else Counter(line_terms[start - 1])
        scan.sym_terms.append(_name_boost(qual) + terms)
        stack.append((indent, name, kind))


def _indent(line: str) -> int | None:
    """Indent of a line that can end a block; None for blank, comment or closing-bracket lines."""
    stripped = line.lstrip()
    if not stripped or stripped[0] in "#)]}":
        return None
    return len(line) - len(stripped)


def _block_end(indents: list[int | None], start: int, indent: int) -> int:
    end = start
    for i in range(start, len(indents)):  # 0-based i is line i + 1
        ind = indents[i]
        if ind is None:
            continue
        if ind <= indent:
            break
        end = i + 1
    return end


def _scan_imports(scan: FileScan, text: str):
    # regex, not ast.walk: walking every node doubled the index time
    for m in _IMPORT_RE.finditer(text):
        if m.group(1) is not None:
            mod = m.group(1)
            level = len(mod) - len(mod.lstrip("."))
            mod = mod.lstrip(".")
            scan.imports.append((mod, level))
            names = _NAMES_RE.match(text, m.end())
            for name in (names.group(1).split(",") if names else ()):
                name = name.strip().split(" ")[0]
                if name.isidentifier():  # `from pkg import mod` may import a submodule
                    scan.imports.append((f"{mod}.{name}" if mod else name, level))
        else:
            for name in m.group(2).split(","):
                scan.imports.append((name.strip().split(" ")[0], 0))
    scan.literals = [m.group(2) for m in _STR_RE.finditer(text) if " " in m.group(2)]


def _name_boost(qualname: str) -> Counter:
    # the symbol's own name counts three times: it is what issues mention
    c: Counter = Counter()
    for part in qualname.split("."):
        for t in split_identifier(part):
            c[t] += 3
    return c


def scan_file(root: str, path: str) -> FileScan:
    scan = FileScan(path)
    try:
        with open(f"{root}/{path}", "rb") as fh:
            raw = fh.read()
    except OSError:
        return scan
    text = raw.decode("utf-8", errors="replace")
    lines = text.splitlines()
    scan.n_lines = len(lines)
    line_terms = _line_terms(lines)
    tree = None
    # tests only feed lexical terms and imports; regex defs halve their cost
    if len(raw) <= AST_MAX_BYTES and category(path) != "test":
        try:
            tree = ast.parse(text)
        except (SyntaxError, ValueError, RecursionError):
            tree = None
    if tree is not None:
        _scan_ast(scan, tree, line_terms)
    else:
        _scan_regex(scan, text, lines, line_terms)
    _scan_imports(scan, text)
    scan.terms = Counter(chain.from_iterable(line_terms))
    for t in term_counts(path.replace("/", " ").replace(".py", "")):
        scan.terms[t] += 5  # path words are strong evidence of topic
    return scan


def _line_terms(lines: list[str]) -> list[list[str]]:
    memo: dict[str, list[str]] = {}  # blank/boilerplate lines repeat a lot
    out = []
    for line in lines:
        toks = memo.get(line)
        if toks is None:
            toks = memo[line] = tokenize(line)
        out.append(toks)
    return out


def scan_many(root: str, paths: list[str]) -> list[FileScan]:
    return [scan_file(root, p) for p in paths]
