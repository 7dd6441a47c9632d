"""Pick one concrete Python "3.Y" for a repo from requires-python / classifiers.

A tiny PEP 440 subset on purpose: dsfix does not depend on ``packaging``,
and only "which 3.Y series is allowed" matters here.
"""

from __future__ import annotations

import re

DEFAULT = "3.11"
CANDIDATES = [f"3.{y}" for y in range(6, 14)]  # what container images offer


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text.split("*")[0]))


def _clause_allows(op: str, ver: str, minor: tuple[int, int]) -> bool:
    """Does any 3.Y.z release satisfy ``op ver``?"""
    want = _release(ver)
    if op == "~=":  # ~=3.8 -> >=3.8,==3.*   ~=3.8.1 -> >=3.8.1,==3.8.*
        prefix = ".".join(map(str, want[:-1])) + ".*"
        return _clause_allows(">=", ver, minor) and _clause_allows("==", prefix, minor)
    if op in ("==", "===", "!="):
        n = min(len(want), 2)
        same = minor[:n] == want[:n]
        # "!=3.9.*" drops the series; "!=3.9.1" only one patch release
        return same if op != "!=" else not (same and ver.endswith("*"))
    lo, hi = minor + (0,), minor + (999,)  # first and last patch of the series
    want = want + (0,) * (3 - len(want))
    return {">=": hi >= want, ">": hi > want, "<=": lo <= want, "<": lo < want}[op]


def _poetry_to_pep440(spec: str) -> str:
    m = re.fullmatch(r"\^(\d+)\.(\d+).*", spec)
    if m:
        return f">={m[1]}.{m[2]},<{int(m[1]) + 1}"
    m = re.fullmatch(r"~(\d+)\.(\d+).*", spec)
    return f">={m[1]}.{m[2]},<{m[1]}.{int(m[2]) + 1}" if m else spec


def allowed(spec: str) -> list[str] | None:
    """Candidates satisfying ``spec``; None when the spec is not understood."""
    spec = _poetry_to_pep440(spec.strip())
    if "||" in spec or " or " in spec:
        return None
    clauses = []
    for part in filter(None, (p.strip() for p in spec.split(","))):
        m = re.fullmatch(r"(~=|===|==|!=|>=|<=|>|<)\s*([\d.*]+)", part)
        if not m:
            return None
        clauses.append((m[1], m[2]))
    return [c for c in CANDIDATES
            if all(_clause_allows(op, v, _release(c)[:2]) for op, v in clauses)]


def ranked(requires: str | None, classifiers: list[str]) -> list[str]:
    """The allowed versions (the classifiers' among them, when any), best first: 3.11 when
    allowed, then by distance from it (the older first on a tie)."""
    options = allowed(requires) if isinstance(requires, str) and requires else None
    if options is None:
        options = list(CANDIDATES)
    listed = [v for v in classifiers if v in options]
    pool = sorted(dict.fromkeys(listed or options), key=_release)
    return sorted(pool, key=lambda v: abs(_release(v)[1] - _release(DEFAULT)[1])) or [DEFAULT]


def choose(requires: str | None, classifiers: list[str]) -> str:
    """3.11 when allowed, else the allowed version closest to it."""
    return ranked(requires, classifiers)[0]


def classifier_versions(classifiers: list[str]) -> list[str]:
    """"Programming Language :: Python :: 3.10" -> "3.10"."""
    out = []
    for c in classifiers:
        m = isinstance(c, str) and re.fullmatch(r"\s*Programming Language :: Python :: (3\.\d+)\s*", c)
        if m:
            out.append(m[1])
    return out
