"""Where one instance's seconds went: the run's own phases (report.json) plus the batch worker's
(checkout, layered image), and where its image came from."""
from __future__ import annotations

PHASES = ("checkout", "image", "container", "baseline", "model", "tests", "verdict", "other")


def row_phases(report: dict | None, checkout: float, image: float, total: float) -> dict[str, float]:
    """Seconds by phase; they add up to ``total``. ``image`` is the layer build or lookup here plus
    the run's own image step; ``other`` is what no phase measures (localization, cleanup)."""
    p = dict.fromkeys(PHASES, 0.0)
    p.update({k: v for k, v in ((report or {}).get("phases") or {}).items() if k in p})
    p["checkout"] = checkout
    p["image"] += image
    p["other"] = max(0.0, total - sum(v for k, v in p.items() if k != "other"))
    return {k: round(v, 3) for k, v in p.items()}


def row_image_source(layers_built: list[str] | None, report: dict | None) -> str | None:
    """built: a layer was built for this instance; else the run's own word (reused / pulled / built)."""
    if layers_built:
        return "built"
    return (report or {}).get("image_source") or ("reused" if layers_built is not None else None)


def near_timeout_rows(report: dict | None) -> list[dict]:
    """The runs that came close to their timeout, for results.jsonl (commands cut short)."""
    return [{**n, "command": n["command"][:200]} for n in (report or {}).get("near_timeout") or []]
