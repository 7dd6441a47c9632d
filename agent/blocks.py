"""Pull the one fenced code block we asked for out of a model answer."""
from __future__ import annotations

import re

from .errors import FormatError

_FENCE = re.compile(r"^(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
_ALIASES = {"diff": {"diff", "patch", "udiff"}, "python": {"python", "py", "python3"},
            "text": {"text", "txt", ""},
            "edit": {"text", "txt", "", "diff", "patch", "udiff"}}   # search/replace blocks, or a diff anyway


def extract_block(answer: str, lang: str) -> str:
    blocks = [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(answer)]
    wanted = _ALIASES.get(lang, {lang})
    hits = [body for tag, body in blocks if tag in wanted]
    if not hits and lang not in ("text", "edit"):
        hits = [body for tag, body in blocks if tag == ""]   # an untagged block is a fair guess
    if not hits and lang in ("diff", "edit") and re.search(r"^(---|\+\+\+|@@) ", answer, re.M):
        return answer  # a bare diff with no fence at all
    if not hits:
        raise FormatError(f"no ```{lang} block found in your answer")
    if len(hits) > 1:
        if lang in ("diff", "edit"):
            return "\n".join(hits)  # several per-file diffs (or block groups): one edit
        raise FormatError(f"found {len(hits)} ```{lang} blocks; send exactly one")
    return hits[0]


MAX_OBSOLETE = 5   # tests one answer may name obsolete: an excuse for a few, never for the suite
_OBSOLETE = re.compile(r"^```obsolete[^\n]*\n(.*?)^```[ \t]*$", re.M | re.S)


def obsolete_tests(answer: str) -> dict[str, str]:
    """Test ids the answer names in an ```obsolete block (``id - reason`` per line): tests that
    assert the very behaviour the issue asks to change."""
    m = _OBSOLETE.search(answer)
    if not m:
        return {}
    out: dict[str, str] = {}
    for line in (l.strip() for l in m.group(1).splitlines()):
        test_id, _, reason = line.partition(" - ")
        if test_id.strip() and len(out) < MAX_OBSOLETE:
            out[test_id.strip()] = reason.strip()
    return out
