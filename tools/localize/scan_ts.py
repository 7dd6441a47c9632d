"""Per-file scanning of JavaScript, TypeScript, Go, Java and Rust through tree-sitter.

Produces the same FileScan as scan.py (symbols with qualified names and 1-based line spans,
imports, literals, module-level names, BM25 terms). A language whose tree-sitter package is not
installed is not indexed; a file that cannot be read or parsed, or looks minified or generated,
gives None and is left out of the index. Runs in worker processes: plain picklable data only.

Imports are recorded as (repo path, -1) when the target file is known (JS/TS relative specifiers,
Rust `mod x;`), or (path suffix, -2) to be matched against the repo's files (Java).
"""
from __future__ import annotations

import posixpath
import re
import threading
from collections import Counter
from itertools import chain

from .results import Symbol
from .scan import FileScan, _line_terms, _name_boost
from .tokenize import term_counts

# extension -> (language name, package, function returning the grammar)
LANGUAGES = {
    ".js": ("javascript", "tree_sitter_javascript", "language"),
    ".jsx": ("javascript", "tree_sitter_javascript", "language"),
    ".mjs": ("javascript", "tree_sitter_javascript", "language"),
    ".cjs": ("javascript", "tree_sitter_javascript", "language"),
    ".ts": ("typescript", "tree_sitter_typescript", "language_typescript"),
    ".tsx": ("tsx", "tree_sitter_typescript", "language_tsx"),
    ".go": ("go", "tree_sitter_go", "language"),
    ".java": ("java", "tree_sitter_java", "language"),
    ".rs": ("rust", "tree_sitter_rust", "language"),
}
MAX_BYTES = 2_000_000       # larger files are data or bundles, not code to read
_local = threading.local()  # a tree-sitter Parser is not to be shared between threads


def ext_of(path: str) -> str:
    base = path.rpartition("/")[2]
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


def parser_for(ext: str):
    """A tree-sitter parser for the extension, or None when its package is not installed."""
    spec = LANGUAGES.get(ext)
    if spec is None:
        return None
    name, mod, fn = spec
    parsers = _local.__dict__.setdefault("parsers", {})
    if name in parsers:
        return parsers[name]
    try:
        import importlib

        import tree_sitter
        lang = tree_sitter.Language(getattr(importlib.import_module(mod), fn)())
        parser = tree_sitter.Parser(lang)
    except Exception:  # noqa: BLE001 - not installed, or an incompatible binding
        parser = None
    parsers[name] = parser
    return parser


def supported_extensions() -> set[str]:
    """Extensions whose grammar can be loaded here."""
    return {ext for ext in LANGUAGES if parser_for(ext) is not None}


# --- per-language node tables ------------------------------------------------------------------

_JS_CLASS = {"class_declaration", "class", "abstract_class_declaration", "interface_declaration",
             "enum_declaration"}
_JS_FUNC = {"function_declaration", "generator_function_declaration", "method_definition",
            "function_expression", "generator_function"}
_JS_FUNC_VALUES = {"arrow_function", "function_expression", "function", "generator_function"}
_JS_MODULE = {"internal_module", "module"}  # TS namespaces qualify names, are not symbols
_TABLES = {
    "javascript": (_JS_CLASS, _JS_FUNC, _JS_MODULE),
    "typescript": (_JS_CLASS, _JS_FUNC, _JS_MODULE),
    "tsx": (_JS_CLASS, _JS_FUNC, _JS_MODULE),
    "go": ({"type_spec"}, {"function_declaration", "method_declaration"}, set()),
    "java": ({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
              "annotation_type_declaration"},
             {"method_declaration", "constructor_declaration"}, set()),
    "rust": ({"struct_item", "enum_item", "union_item", "trait_item", "impl_item"},
             {"function_item", "function_signature_item"}, {"mod_item"}),
}
_ASSIGN_TYPES = {"lexical_declaration", "variable_declaration", "const_declaration",
                 "var_declaration", "const_item", "static_item", "type_alias_declaration",
                 "type_item"}
_STR_RE = re.compile(r"\"([^\"\n\\]{12,200})\"")
_STR_JS_RE = re.compile(r"([\"'`])([^\"'`\n\\]{12,200})\1")
_IDENT_RE = re.compile(r"[A-Za-z_]\w*")
_GENERATED_RE = re.compile(r"(?:@generated|Code generated .* DO NOT EDIT|auto-generated)", re.I)


def _text(src: bytes, node) -> str:
    return src[node.start_byte:node.end_byte].decode("utf-8", errors="replace")


def _name(src: bytes, node) -> str | None:
    n = node.child_by_field_name("name")
    if n is None:
        return None
    name = _text(src, n)
    return name if _IDENT_RE.fullmatch(name) else None


def _type_name(text: str) -> str | None:
    """`&mut Foo<T>`, `*Server[T]`, `crate::a::Foo` -> the type's own name."""
    text = re.sub(r"<.*|\[.*", "", text)
    names = [n for n in _IDENT_RE.findall(text) if n not in ("mut", "dyn", "const")]
    return names[-1] if names else None


def _looks_minified(text: str, lines: list[str]) -> bool:
    if not lines:
        return False
    head = lines[:5]
    if any(_GENERATED_RE.search(ln) for ln in head):
        return True
    longest = max(len(ln) for ln in lines[:200])
    return longest > 1000 and len(text) / len(lines) > 200


class _Walker:
    def __init__(self, scan: FileScan, src: bytes, lang: str, line_terms, line_starts):
        self.scan, self.src, self.lang = scan, src, lang
        self.classes, self.funcs, self.modules = _TABLES[lang]
        self.line_terms, self.line_starts = line_terms, line_starts
        self.js = lang in ("javascript", "typescript", "tsx")
        self.class_ids: dict[str, int] = {}

    def emit(self, node, name_node_end, qual: str, kind: str, body) -> int:
        start, end = node.start_point[0] + 1, node.end_point[0] + 1
        if end > start and node.end_point[1] == 0:
            end -= 1
        sig = self.signature(node, body)
        self.scan.symbols.append(Symbol(self.scan.path, qual, kind, start, end, sig))
        lt = self.line_terms
        if kind == "class":  # header and member names, not whole bodies (as scan.py)
            terms = Counter(chain.from_iterable(lt[start - 1:min(end, start + 15)]))
        else:
            terms = Counter(chain.from_iterable(lt[start - 1:end]))
        self.scan.sym_terms.append(_name_boost(qual) + terms)
        return len(self.scan.symbols) - 1

    def signature(self, node, body) -> str:
        row = node.start_point[0]
        begin = self.line_starts[row]  # from the line's start: `export`, `pub`, `public static`
        if any(c in self.src[begin:node.start_byte] for c in b"{};"):
            begin = node.start_byte  # another statement shares the line
        if body is not None and body.start_point[0] - row <= 8:
            stop = body.start_byte
        else:
            nl = self.src.find(b"\n", begin)
            stop = len(self.src) if nl < 0 else nl
        sig = " ".join(self.src[begin:stop].decode("utf-8", errors="replace").split())
        sig = sig.removesuffix("{").rstrip()
        return sig[:300]

    def boost_parent(self, parent: int | None, name: str):
        if parent is not None:
            self.scan.sym_terms[parent].update(_name_boost(name))

    def walk(self, root):
        # iterative pre-order (document order); scope = (qualifier parts, parent kind, parent id)
        stack = [(c, (), "module", None) for c in reversed(root.named_children)]
        while stack:
            node, prefix, pkind, pid = stack.pop()
            push = self.visit(node, prefix, pkind, pid)
            if push is None:
                continue
            children, scope = push
            stack.extend((c, *scope) for c in reversed(children))

    def visit(self, node, prefix, pkind, pid):
        t, src = node.type, self.src
        same = (node.named_children, (prefix, pkind, pid))
        if t in self.classes:
            name = _name(src, node)
            body = node.child_by_field_name("body")
            if t == "impl_item":
                ty = node.child_by_field_name("type")
                name = _type_name(_text(src, ty)) if ty is not None else None
            if name is None:
                return same
            qual = ".".join(prefix + (name,))
            sid = self.emit(node, None, qual, "class", body)
            self.class_ids.setdefault(qual, sid)
            return node.named_children, (prefix + (name,), "class", sid)
        if t in self.funcs:
            name = _name(src, node)
            if name is None:  # `export default function () {}`, a function expression
                return same
            body = node.child_by_field_name("body")
            qual_prefix, kind, parent = prefix, ("method" if pkind == "class" else "function"), pid
            if t == "method_declaration" and self.lang == "go":
                recv = node.child_by_field_name("receiver")
                rname = _type_name(_text(src, recv).strip("()").split(None, 1)[-1]) if recv else None
                if rname:
                    qual_prefix, kind = (rname,), "method"
                    parent = self.class_ids.get(rname)
            qual = ".".join(qual_prefix + (name,))
            sid = self.emit(node, None, qual, kind, body)
            if kind == "method":
                self.boost_parent(parent, name)
            return node.named_children, (qual_prefix + (name,), "function", sid)
        if t in self.modules:
            name = _name(src, node)
            body = node.child_by_field_name("body")
            if t == "mod_item" and body is None and name and not prefix:
                self.rust_mod(name)
            if name is None:
                return same
            return node.named_children, (prefix + (name,), "module", None)
        if self.js:
            r = self.visit_js(node, prefix, pkind, pid)
            if r is not None:
                return r
        if not prefix and t in _ASSIGN_TYPES:
            self.assigns(node)
        if self.lang == "java" and t == "import_declaration":
            self.java_import(node)
        return same

    def visit_js(self, node, prefix, pkind, pid):
        t, src = node.type, self.src
        if t in ("variable_declarator", "field_definition", "public_field_definition",
                 "assignment_expression"):
            if t == "assignment_expression":
                left, value = node.child_by_field_name("left"), node.child_by_field_name("right")
            else:
                left = node.child_by_field_name("name") or node.child_by_field_name("property")
                value = node.child_by_field_name("value")
            if value is None or value.type not in _JS_FUNC_VALUES or left is None:
                return None
            qual_prefix, kind, parent = prefix, "function", pid
            if t in ("field_definition", "public_field_definition") and pkind == "class":
                kind = "method"
            if left.type == "member_expression":  # Foo.prototype.bar = function () {}
                parts = _text(src, left).split(".")
                name = parts[-1]
                owner = [p for p in parts[:-1] if p not in ("prototype", "this", "module", "exports")]
                if owner and _IDENT_RE.fullmatch(owner[-1]) and not prefix:
                    qual_prefix, kind = (owner[-1],), "method"
                    parent = self.class_ids.get(owner[-1])
            else:
                name = _text(src, left).strip("'\"")
            if not _IDENT_RE.fullmatch(name):
                return None
            qual = ".".join(qual_prefix + (name,))
            anchor = node.parent if t == "variable_declarator" and node.parent is not None else node
            sid = self.emit(anchor if anchor.start_point[0] == node.start_point[0] else node,
                            None, qual, kind, value.child_by_field_name("body"))
            if kind == "method":
                self.boost_parent(parent, name)
            return value.named_children, (qual_prefix + (name,), "function", sid)
        if t in ("import_statement", "export_statement"):
            source = node.child_by_field_name("source")
            if source is not None:
                self.js_import(_text(src, source))
        elif t == "call_expression":
            fn = node.child_by_field_name("function")
            args = node.child_by_field_name("arguments")
            if fn is not None and args is not None and _text(src, fn) in ("require", "import"):
                first = args.named_children[:1]
                if first and first[0].type == "string":
                    self.js_import(_text(src, first[0]))
        return None

    def assigns(self, node):
        src = self.src
        if node.type in ("type_alias_declaration", "const_item", "static_item", "type_item"):
            name = _name(src, node)
            if name:
                self.scan.assigns.append(name)
            return
        for child in node.named_children:  # declarators / const_spec / var_spec
            value = child.child_by_field_name("value")
            if value is not None and value.type in _JS_FUNC_VALUES:
                continue  # a function, indexed as a symbol
            for n in ([child.child_by_field_name("name")] if child.type != "var_spec"
                      else child.children_by_field_name("name")):
                if n is not None and n.type == "identifier":
                    self.scan.assigns.append(_text(src, n))

    def js_import(self, spec: str):
        spec = spec.strip("'\"`")
        if not spec.startswith("."):
            return  # a package, not a repo file
        base = posixpath.normpath(posixpath.join(posixpath.dirname(self.scan.path), spec))
        if base.startswith(".."):
            return
        stem = re.sub(r"\.(m|c)?jsx?$", "", base)
        cands = [base] + [stem + e for e in (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs")]
        cands += [f"{base}/index{e}" for e in (".ts", ".tsx", ".js", ".jsx", ".mjs")]
        self.scan.imports.extend((c, -1) for c in dict.fromkeys(cands))

    def rust_mod(self, name: str):
        path = self.scan.path
        d, base = posixpath.dirname(path), posixpath.basename(path)
        if base in ("mod.rs", "lib.rs", "main.rs"):
            cands = [posixpath.join(d, f"{name}.rs"), posixpath.join(d, name, "mod.rs")]
        else:
            sub = posixpath.join(d, base[:-3])
            cands = [posixpath.join(sub, f"{name}.rs"), posixpath.join(sub, name, "mod.rs")]
        self.scan.imports.extend((c, -1) for c in cands)

    def java_import(self, node):
        text = _text(self.src, node)
        m = re.match(r"import\s+(?:static\s+)?([\w.]+)\s*;", text)
        if m and not m.group(1).endswith("*"):
            parts = m.group(1).split(".")
            # `import a.b.Foo` -> a/b/Foo.java; a static import names a member of the class
            self.scan.imports.append(("/".join(parts) + ".java", -2))
            if len(parts) > 1:
                self.scan.imports.append(("/".join(parts[:-1]) + ".java", -2))


def scan_file(root: str, path: str) -> FileScan | None:
    """The file's FileScan, or None when it is not indexed (no grammar, unreadable, minified,
    generated, or the parser failed)."""
    ext = ext_of(path)
    parser = parser_for(ext)
    if parser is None:
        return None
    try:
        with open(f"{root}/{path}", "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError:
        return None
    if len(raw) > MAX_BYTES or b"\0" in raw[:8192]:
        return None
    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if _looks_minified(text, lines):
        return None
    scan = FileScan(path)
    try:
        src = text.encode("utf-8", errors="surrogateescape")
        tree = parser.parse(src)
        line_starts = [0]
        for ln in lines[:-1] if lines else ():
            line_starts.append(line_starts[-1] + len(ln.encode("utf-8", errors="surrogateescape")) + 1)
        line_terms = _line_terms(lines)
        lang = LANGUAGES[ext][0]
        _Walker(scan, src, lang, line_terms, line_starts + [len(src)]).walk(tree.root_node)
    except Exception:  # noqa: BLE001 - never let one odd file break the index
        return None
    scan.n_lines = len(lines)
    regex = _STR_JS_RE if ext in (".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx") else _STR_RE
    # the text is the last group (m.lastindex: both patterns' groups all take part in a match)
    scan.literals = [m.group(regex.groups) for m in regex.finditer(text) if " " in m.group(regex.groups)]
    scan.terms = Counter(chain.from_iterable(line_terms))
    for t in term_counts(path.replace("/", " ")[: -len(ext)]):
        scan.terms[t] += 5  # path words are strong evidence of topic
    return scan
