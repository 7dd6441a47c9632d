"""Exact evidence pulled from issue text: paths, trace frames, dotted names,
identifiers, code and error messages. Each extractor returns raw mentions;
fuse.py turns them into per-file and per-symbol scores."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_PATH_RE = re.compile(r"(?<![\w/.-])((?:[\w.-]+[/\\])*[\w-]+\.py)\b")
_FRAME_RE = re.compile(r'File "([^"]+\.py)", line (\d+)(?:, in ([\w<>]+))?')
_PYTEST_FRAME_RE = re.compile(r"^\s*([\w./\\-]+\.py):(\d+):(?: in ([\w<>]+))?", re.M)
# Other indexed languages (tree-sitter): `src/cart.ts`, and `file.ext:LINE` as Node, Go, Rust and
# Java traces write it (`at f (src/cart.js:10:5)`, `cart.go:42`, `(Cart.java:17)`).
_OTHER_EXT = r"(?:jsx?|mjs|cjs|tsx?|go|java|rs)"
_OTHER_PATH_RE = re.compile(rf"(?<![\w/.-])((?:[\w.@-]+[/\\])*[\w-]+\.{_OTHER_EXT})\b")
_OTHER_FRAME_RE = re.compile(rf"([\w./\\@-]*[\w-]+\.{_OTHER_EXT}):(\d+)")
_DOTTED_RE = re.compile(r"\b([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+)\b")
_IDENT_RE = re.compile(r"\b([A-Za-z_]\w{2,})\b")
_CODE_BLOCK_RE = re.compile(r"```.*?```|^(?: {4}|\t|>>> |\.\.\. ).*$", re.S | re.M)
_BACKTICK_RE = re.compile(r"`([^`\n]+)`")
_ERROR_RE = re.compile(r"\b(\w+(?:Error|Exception|Warning|Exit)):\s*(.+)")
# Names of behaviour switches: command-line options (`--import-mode=importlib`), hyphenated names
# in code or backticks (`ignore-paths`), and the keys of config lines (`autodoc_typehints = ...`).
_OPTION_RE = re.compile(r"(?<![\w-])(--[A-Za-z][\w-]+)")
_HYPHEN_RE = re.compile(r"(?<![\w-])([a-z][a-z0-9]*(?:-[a-z0-9]+)+)(?![\w-])")
# every command line has these; they say which program, not which behaviour (`pylint --version`)
_GENERIC_OPTIONS = {"--version", "--help", "--verbose", "--quiet", "--debug", "--no-cache-dir"}
_CONFIG_LANGS = {"ini", "toml", "cfg", "conf", "yaml", "yml"}
_CONFIG_KEY_RE = re.compile(r"^\s*([A-Za-z][\w-]*[-_][\w-]*)\s*[=:](?!=)", re.M)


@dataclass
class Frame:
    path: str
    line: int
    func: str | None


@dataclass
class IssueSignals:
    paths: list[str] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    dotted: list[str] = field(default_factory=list)
    code_idents: set[str] = field(default_factory=set)   # in code, backticks, or code-shaped
    prose_idents: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)      # exception messages
    names: set[str] = field(default_factory=set)         # options, config keys (_OPTION_RE ...)


def _code_shaped(word: str) -> bool:
    # snake_case, camelCase/CapWords with inner capitals, or dunder
    return "_" in word.strip("_") or word.startswith("__") or bool(
        re.search(r"[a-z][A-Z]", word)) or bool(re.match(r"[A-Z][a-z]+[A-Z]", word))


_VERSION_LINE_RE = re.compile(
    r"^\s*[-*]?\s*[\w.\-\[\] ]{1,40}\s*[:=]=?\s*v?\d+(\.\w+)+\S*\s*$|^\s*(python|platform|os|"
    r"machine|processor|byteorder|LC_\w+|LANG|LOCALE|commit|libhdf5|libnetcdf)\s*:.*$",
    re.M | re.I)
_URL_RE = re.compile(r"https?://\S+")


def clean_for_lexical(text: str) -> str:
    """Drop environment dumps (show_versions, pip freeze) and URLs: they are
    long, match version-printing modules, and say nothing about the fault."""
    return _URL_RE.sub(" ", _VERSION_LINE_RE.sub("", text))


def lexical_query(text: str) -> str:
    """Cleaned issue text with its title (first line) counted twice: titles name
    the symptom and component; the body is often mostly logs and code."""
    title = text.strip().split("\n", 1)[0][:200]
    return title + "\n" + clean_for_lexical(text)


def extract(text: str) -> IssueSignals:
    sig = IssueSignals()
    for m in _FRAME_RE.finditer(text):
        sig.frames.append(Frame(m.group(1).replace("\\", "/"), int(m.group(2)), m.group(3)))
    for m in _PYTEST_FRAME_RE.finditer(text):
        sig.frames.append(Frame(m.group(1).replace("\\", "/"), int(m.group(2)), m.group(3)))
    for m in _OTHER_FRAME_RE.finditer(text):
        sig.frames.append(Frame(m.group(1).replace("\\", "/"), int(m.group(2)), None))
    sig.paths = [m.group(1).replace("\\", "/") for m in _PATH_RE.finditer(text)]
    sig.paths += [m.group(1).replace("\\", "/") for m in _OTHER_PATH_RE.finditer(text)]
    sig.dotted = [d for d in _DOTTED_RE.findall(text) if not d.endswith(".py")]
    code = " ".join(_CODE_BLOCK_RE.findall(text) + _BACKTICK_RE.findall(text))
    sig.code_idents = set(_IDENT_RE.findall(code))
    for word in _IDENT_RE.findall(text):
        if word not in sig.code_idents:
            (sig.code_idents if _code_shaped(word) else sig.prose_idents).add(word)
    # `obj.method(` in prose is code too
    sig.code_idents.update(re.findall(r"\.([A-Za-z_]\w+)\(", text))
    sig.errors = [m.group(2).strip() for m in _ERROR_RE.finditer(text)]
    sig.names = set(_OPTION_RE.findall(text)) - _GENERIC_OPTIONS
    sig.names.update(_HYPHEN_RE.findall(" ".join(_BACKTICK_RE.findall(text))))
    for lang, block in re.findall(r"```(\w*)\n(.*?)```", text, re.S):
        # keys of config files; in Python blocks `name = ...` is mostly the user's own variable
        keys = _CONFIG_KEY_RE.findall(block)
        sig.names.update(keys if lang.lower() in _CONFIG_LANGS else [k for k in keys if "-" in k])
    return sig
