"""The table: per corruption, each tool's share of exact, wrong and refused results."""
from __future__ import annotations

from collections import Counter

VERDICTS = ("exact", "wrong", "refused")


def counted(name: str) -> bool:
    """Rows in the ALL totals: not the refusal checks, not SEARCH/REPLACE (dsfix only)."""
    return "(" not in name and not name.startswith("sr_")


def report(stats: dict[str, dict[str, Counter]], tools: list[str], header: str) -> str:
    out = [header]
    out.append(f"{'corruption':<24}{'cases':>6}" + "".join(f" | {t:^22}" for t in tools))
    out.append(f"{'':<30}" + " | exact   wrong refused" * len(tools))
    total = {t: Counter() for t in tools}
    corrupted = {t: Counter() for t in tools}
    for name, per in stats.items():
        n = sum(per["dsfix"].values())
        if not n or name.startswith("sr_"):
            continue
        out.append(_row(name, n, per, tools))
        if not counted(name):
            continue
        for t in tools:
            total[t] += per[t]
            if name != "clean":
                corrupted[t] += per[t]
    for label, agg in (("ALL corrupted", corrupted), ("ALL (with clean)", total)):
        n = sum(agg["dsfix"].values())
        if n:
            out.append(_row(label, n, agg, tools))
    for name, per in stats.items():  # git apply / patch cannot read this format
        n = sum(per["dsfix"].values())
        if n and name.startswith("sr_"):
            dsfix_only = [t for t in tools if t.startswith("dsfix")]
            out.append(_row(name, n, per, dsfix_only) + " | (SEARCH/REPLACE blocks: dsfix only)")
    return "\n".join(out)


def _row(name, n, per, tools):
    cells = []
    for t in tools:
        c = per[t]
        cells.append(" | " + " ".join(f"{100 * c[k] / n:6.1f}%"[-7:] for k in VERDICTS))
    return f"{name:<24}{n:>6}" + "".join(cells)
