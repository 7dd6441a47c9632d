"""Code-aware tokenization shared by the index and the query side.

Identifiers are split on snake_case and camelCase boundaries, and the whole
identifier is kept too, so `QuerySet` matches both "queryset" and "query set".
Dotted paths (`django.db.models`) are kept as one extra token so an issue that
names a module matches code that imports it.
"""
from __future__ import annotations

import re
from itertools import chain
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
_MEMO_MAX = 1_000_000  # bound memory on huge repos


def split_identifier(word: str) -> tuple[str, ...]:
    """`getHTTPResponse_code` -> ('http', 'response', 'code', 'gethttpresponse_code')."""
    hit = _split_memo.get(word)
    if hit is None:
        hit = _split_memo[word] = _split(word)
    return hit


def _split(word: str) -> tuple[str, ...]:
    if "." in word:  # dotted path: keep it whole, plus its parts
        pieces = word.split(".")
        head = () if pieces[0] in ("self", "cls") else (word.lower(),)
        return head + tuple(t for piece in pieces for t in split_identifier(piece))
    parts: list[str] = []
    for chunk in word.split("_"):
        parts.extend(p.lower() for p in _CAMEL.findall(chunk))
    whole = word.lower().strip("_")
    if whole and (len(parts) != 1 or parts[0] != whole):
        parts.append(whole)
    return tuple(p for p in parts if len(p) > 1 and p not in STOPWORDS)


def tokenize(text: str) -> list[str]:
    words = _WORD.findall(text)
    memo = _split_memo
    if len(memo) > _MEMO_MAX:
        memo.clear()
    try:  # fast path, all in C: every word seen before
        return list(chain.from_iterable([memo[w] for w in words]))
    except KeyError:
        return list(chain.from_iterable([split_identifier(w) for w in words]))


def term_counts(text: str) -> Counter:
    return Counter(tokenize(text))
