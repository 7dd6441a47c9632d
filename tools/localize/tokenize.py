"""Code-aware tokenization shared by the index and the query side.

Identifiers are split on snake_case and camelCase boundaries, and the whole
identifier is kept too, so `QuerySet` matches both "queryset" and "query set".
Dotted paths (`django.db.models`) are kept as one extra token so an issue that
names a module matches code that imports it.
"""
from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

# English filler plus Python keywords/builtins that appear in every file.
STOPWORDS = frozenset("""
a an and are as at be been but by can could did do does doing done for from
had has have having he her here hers him his how i if in into is it its itself
just me more most my no nor not of off on once only or other our out over own
same she should so some such than that the their them then there these they
this those through to too under until up very was we were what when where which
while who whom why will with would you your yours also get got use used using
like want seems seem one two way see make made now however still even since
def class return import self cls none true false elif else try except finally
raise pass lambda yield with assert del global nonlocal async await break
continue print isinstance len str int dict list tuple object super args kwargs
""".split())

_split_memo: dict[str, tuple[str, ...]] = {}


def split_identifier(word: str) -> tuple[str, ...]:
    """`getHTTPResponse_code` -> ('get', 'http', 'response', 'code', 'gethttpresponse_code')."""
    hit = _split_memo.get(word)
    if hit is not None:
        return hit
    parts = []
    for chunk in word.split("_"):
        parts.extend(p.lower() for p in _CAMEL.findall(chunk))
    whole = word.lower().strip("_")
    if whole and (len(parts) != 1 or parts[0] != whole):
        parts.append(whole)
    out = tuple(p for p in parts if len(p) > 1 and p not in STOPWORDS)
    if len(_split_memo) < 500_000:  # bound memory on huge repos
        _split_memo[word] = out
    return out


def tokenize(text: str) -> list[str]:
    out: list[str] = []
    memo = _split_memo
    for word in _WORD.findall(text):
        hit = memo.get(word)
        if hit is not None:  # fast path: most words were seen before
            out.extend(hit)
        elif "." in word:
            pieces = word.split(".")
            if pieces[0] not in ("self", "cls"):
                out.append(word.lower())
            for piece in pieces:
                out.extend(split_identifier(piece))
        else:
            out.extend(split_identifier(word))
    return out


def term_counts(text: str) -> Counter:
    return Counter(tokenize(text))
