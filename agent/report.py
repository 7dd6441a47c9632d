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
        "strategy": out.strategy or None,   # pipeline or agent mode (by tool calls or not), and why
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
        "phases": phases(out, timings, model_seconds, seconds),
        "image_source": image_source(timings.get("image_source")),
        "runs_as": timings.get("runs_as"),   # the unprivileged user, or root and why (envs.unprivileged)
        "near_timeout": timings.get("near_timeout", []),   # runs that finished past 80% of their limit
    }


def _total(env: dict, *kinds: str) -> float:
    return sum(env[k]["total"] for k in kinds if isinstance(env.get(k), dict))


def phases(out, env: dict, model_seconds: float, total: float) -> dict[str, float]:
    """Seconds of one run by phase; they add up to its total. ``baseline``: the tests before any
    change; ``verdict``: the last test run (the whole suite, when a patch got that far);
    ``tests``: the rest of the environment's work inside the loop (reproductions, related-test
    runs of attempts, edits); ``other``: what no phase measures (localization, bookkeeping)."""
    # a baseline kept from an earlier run (agent.baseline_store) took no time in this one
    baseline = out.baseline.seconds if out.baseline and not out.baseline.reused else 0.0
    verdict = out.final.seconds if out.final else 0.0
    p = {"image": _total(env, "image", "image_build", "image_lookup"),
         "container": _total(env, "container_start", "copy", "setup"),
         "baseline": baseline, "model": model_seconds,
         "tests": max(0.0, _total(env, "exec") - _total(env, "setup") - baseline - verdict),
         "verdict": verdict}
    p["other"] = max(0.0, total - sum(p.values()))
    return {k: round(v, 3) for k, v in p.items()}


# The environment's words for where its image came from -> the report's (built / reused / pulled).
SOURCES = {"present": "reused", "cached": "reused", "built": "built", "pulled": "pulled"}


def image_source(raw: str | None) -> str | None:
    return SOURCES.get(raw or "", raw)
