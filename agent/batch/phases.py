"""Where one instance's seconds went: the run's own phases (report.json) plus the batch worker's
(checkout, layered image), and where its image came from."""
from __future__ import annotations

import json
from pathlib import Path

PHASES = ("checkout", "image", "localize", "container", "baseline", "model", "tests", "verdict", "other")


def localize_seconds(trajectory: Path) -> float:
    """The ranking before any model call: from the run's start to its first "localize" event."""
    start = None
    try:
        with trajectory.open() as f:
            for line in f:
                e = json.loads(line)
                if e.get("type") == "run":
                    start = e["t"]
                elif e.get("type") == "localize" and start is not None:
                    return max(0.0, e["t"] - start)
    except (OSError, ValueError, KeyError):
        pass
    return 0.0


def row_phases(report: dict | None, checkout: float, image: float, localize: float, total: float) -> dict[str, float]:
    """Seconds by phase; they add up to ``total``. ``image`` is the layer build or lookup here plus
    the run's own image step; ``localize`` comes out of the run's ``other``, which keeps what no
    phase measures (related-test lookup, edits on the host, cleanup)."""
    p = dict.fromkeys(PHASES, 0.0)
    p.update({k: v for k, v in ((report or {}).get("phases") or {}).items() if k in p})
    p["checkout"], p["localize"] = checkout, localize
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
