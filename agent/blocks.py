"""Pull the one fenced code block we asked for out of a model answer."""
from __future__ import annotations

import re

from .errors import FormatError

_FENCE = re.compile(r"^(`{3,}|~{3,})[ \t]*([\w+-]*)[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
_ALIASES = {"diff": {"diff", "patch", "udiff"}, "python": {"python", "py", "python3"},
            "text": {"text", "txt", ""}}


def extract_block(answer: str, lang: str) -> str:
    blocks = [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(answer)]
    wanted = _ALIASES.get(lang, {lang})
    hits = [body for tag, body in blocks if tag in wanted]
    if not hits and lang != "text":
        hits = [body for tag, body in blocks if tag == ""]   # an untagged block is a fair guess
    if not hits and lang == "diff" and re.search(r"^(---|\+\+\+|@@) ", answer, re.M):
        return answer  # a bare diff with no fence at all
    if not hits:
        raise FormatError(f"no ```{lang} block found in your answer")
    if len(hits) > 1:
        if lang == "diff":
            return "\n".join(hits)  # several per-file diffs: one patch
        raise FormatError(f"found {len(hits)} ```{lang} blocks; send exactly one")
    return hits[0]
