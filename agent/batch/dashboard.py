"""Live progress of a batch run, and the summary table at the end."""
from __future__ import annotations

import time

from rich.table import Table


def _fmt_cost(rows: list[dict]) -> str:
    total = sum(r.get("cost_usd") or 0.0 for r in rows)
    unknown = any(not r.get("cost_known", True) for r in rows)
    return f"${total:.4f}" + (" + unknown" if unknown else "")


def counts(rows: list[dict]) -> dict:
    return {"done": len(rows), "patched": sum(r["outcome"] == "patched" for r in rows),
            "verified": sum(bool(r.get("verified")) for r in rows),
            "errors": sum(r["outcome"] == "error" for r in rows)}


def live_table(results: list[dict], total: int, running: list[str], started: float, finished_now: int) -> Table:
    c = counts(results)
    elapsed = time.monotonic() - started
    left = total - c["done"]
    eta = f"{elapsed / finished_now * left / 60:.1f} min" if finished_now and left else "-"
    t = Table(title="dsfix bench", show_header=True)
    for col in ("done", "running", "patched", "verified (own tests)", "errors", "cost", "ETA"):
        t.add_column(col, justify="right")
    t.add_row(f"{c['done']}/{total}", str(len(running)), str(c["patched"]), str(c["verified"]),
              str(c["errors"]), _fmt_cost(results), eta)
    if running:
        t.caption = "running: " + ", ".join(running[:6]) + (" ..." if len(running) > 6 else "")
    return t


def summary_table(results: list[dict], total: int, not_started: int = 0) -> Table:
    c = counts(results)
    t = Table(title="dsfix bench summary", show_header=False)
    t.add_row("instances", f"{c['done']} finished of {total}" + (f", {not_started} not started (budget)" if not_started else ""))
    t.add_row("patched", str(c["patched"]))
    t.add_row("verified by own tests", str(c["verified"]))
    t.add_row("no patch", str(sum(r["outcome"] == "no_patch" for r in results)))
    t.add_row("infrastructure errors", f"{c['errors']} (retried only with --retry-errors)")
    t.add_row("cost", _fmt_cost(results))
    by_status: dict[str, int] = {}
    for r in results:
        by_status[r.get("status") or "error"] = by_status.get(r.get("status") or "error", 0) + 1
    t.add_row("by status", ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    timed = [r for r in results if r.get("phases")]
    if timed:
        means = mean_phases(timed)
        t.add_row("mean seconds by phase", ", ".join(f"{k} {v:.1f}" for k, v in means.items()))
        t.add_row("mean seconds outside the model", f"{sum(means.values()) - means['model']:.1f}")
        t.add_row("images", ", ".join(f"{k} {v}" for k, v in sorted(_count(timed, "image_source").items())))
    near = [r["instance_id"] for r in results if r.get("near_timeout")]
    if near:
        t.add_row("near a timeout (>80%)", ", ".join(near))
    return t


def _count(rows: list[dict], key: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in rows:
        out[str(r.get(key))] = out.get(str(r.get(key)), 0) + 1
    return out


def mean_phases(rows: list[dict]) -> dict[str, float]:
    from .phases import PHASES
    return {k: sum(r["phases"].get(k, 0.0) for r in rows) / len(rows) for k in PHASES}


def phases_table(results: list[dict]) -> Table:
    """Seconds by phase per instance (results.jsonl), the mean last; where each image came from."""
    from .phases import PHASES
    t = Table(title="seconds by phase")
    for col in ("instance", "status", "image", "total", *PHASES, "near timeout"):
        t.add_column(col, justify="left" if col in ("instance", "status", "image") else "right")
    rows = [r for r in results if r.get("phases")]
    for r in rows:
        near = ", ".join(f"{n['seconds']:.0f}/{n['timeout']}s" for n in r.get("near_timeout") or [])
        t.add_row(r["instance_id"], str(r.get("status") or r["outcome"]), str(r.get("image_source") or "-"),
                  f"{r.get('seconds', 0.0):.1f}", *(f"{r['phases'].get(k, 0.0):.1f}" for k in PHASES), near or "-")
    if rows:
        means = mean_phases(rows)
        t.add_row("mean", "", "", f"{sum(r.get('seconds', 0.0) for r in rows) / len(rows):.1f}",
                  *(f"{means[k]:.1f}" for k in PHASES), "")
    return t
