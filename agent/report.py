"""report.json: what a person or a batch run needs to judge a run at a glance."""
from __future__ import annotations

from . import __version__


def build_report(out, model, cfg, timings: dict, plan, seconds: float) -> dict:
    t = model.totals
    model_seconds = round(sum(s["seconds"] for s in out.steps), 3)
    return {
        "dsfix": __version__,
        "status": out.status,
        "verified": out.status == "verified",
        "message": out.message,
        "model": cfg.model.name,
        "environment": {"kind": cfg.env.kind, "image": cfg.env.image if cfg.env.kind == "docker" else None,
                        "network": cfg.env.network},
        "steps": len(out.steps),
        "attempts": out.attempts,
        "lookups": out.lookups,
        "candidates": out.candidates,    # samples > 1: every candidate per attempt, and why it won or lost
        "step_log": out.steps,
        "tokens": {"prompt": t.usage.prompt, "completion": t.usage.completion, "cache_hit": t.usage.cache_hit,
                   "reasoning": t.usage.reasoning},
        "cost_usd": round(t.cost, 6) if t.cost_known else None,
        "cost_known": t.cost_known,
        "limits": cfg.limits.model_dump(),
        "ignored_repo_keys": cfg.ignored_repo_keys,   # the repository's dsfix.yaml may not set these
        "tests": {
            "command": plan.shown() if plan.command else None, "source": plan.source, "results_from": out.baseline.results_from
            if out.baseline else None,
            "before": out.baseline.summary() if out.baseline else None,
            # a red baseline is the user's to know: these failed before any change
            "failing_before": out.baseline.failing() if out.baseline else [],
            "checks": out.checks,
            "after": out.final.summary() if out.final else None,
        },
        "reproduction": {k: v for k, v in out.repro.items() if k != "script"} or None,
        "timings": {"total_seconds": round(seconds, 3), "model_seconds": model_seconds, "environment": timings},
    }
