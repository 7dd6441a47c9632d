"""`dsfix localize REPO --issue-file F [--top-k K] [--json] [--model NAME] [--prompt]` body.

It lives in agent/, not tools/localize: with --model it reads dsfix's settings and builds a model,
which are the agent's; the ranker itself (tools.localize) knows nothing of either."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def _err(msg: str) -> int:
    print(f"error: {msg}", file=sys.stderr)
    return 2


def localize_command(repo: Path, issue_file: Path, top_k: int, as_json: bool,
                     model: str | None = None, max_symbols: int | None = None,
                     extra=None) -> int:
    """Without `model` no model is constructed, let alone called. `extra(repo, issue, loc)`,
    when given, returns more keys for the output (`dsfix localize --prompt`: the prompt's views)."""
    from dsfix.common.worktree import NotAWorkTree, work_tree_root
    from dsfix.tools.localize import localize
    repo, issue_file = Path(repo), Path(issue_file)
    try:
        work_tree_root(repo)   # localizing a non-repository would rank nothing and look like success
    except NotAWorkTree as e:
        return _err(str(e))
    if not issue_file.is_file():
        return _err(f"issue file not found: {issue_file}")
    if top_k < 1:
        return _err(f"--top-k must be >= 1, got {top_k}")
    text = issue_file.read_text(encoding="utf-8", errors="replace")
    loc = localize(repo, text, top_k=top_k, max_symbols=max_symbols)
    if model:
        try:
            loc = _narrow_with(repo, text, loc, model)
        except Exception as e:  # noqa: BLE001 - config or backend trouble: one line, exit 2
            return _err(str(e).splitlines()[0] if str(e) else type(e).__name__)
    more = extra(repo, text, loc) if extra else {}
    if as_json:
        print(json.dumps({**_as_dict(loc), **more}, indent=2))
    else:
        _print_text(loc)
        _print_extra(more)
    return 0


def _narrow_with(repo: Path, issue: str, loc, model_name: str):
    """The usual model settings (dsfix.yaml, DSFIX_* variables) with --model on top."""
    from dsfix.tools.localize.narrow import NarrowOptions, narrow

    from .backend import local_model
    from .config import load_settings
    from .model import LitellmModel
    cfg = load_settings(repo, None, {"model": {"name": model_name}})
    opts = NarrowOptions(stage_tokens=cfg.localize.narrow_tokens,
                         candidates=cfg.localize.narrow_candidates)
    with local_model(cfg.model, cfg.local) as model_cfg:   # `local` starts and stops a server
        return narrow(repo, issue, loc, LitellmModel(model_cfg), opts)


def _as_dict(loc) -> dict:
    data = {"files": loc.files,
            "symbols": [{"file": s.file, "name": s.name, "start": s.start, "end": s.end}
                        for s in loc.symbols]}
    if hasattr(loc, "line_ranges"):  # a model ran
        data["line_ranges"] = {f: [list(r) for r in rs] for f, rs in loc.line_ranges.items()}
        data["model"] = {**loc.model_totals(), "stages": [s.summary() for s in loc.stages]}
    return data


def _print_text(loc) -> None:
    narrowed = hasattr(loc, "line_ranges")
    print("Files (the model's picks first, ranker scores in brackets):" if narrowed else "Files:")
    for i, f in enumerate(loc.files, 1):
        print(f"  {i:>2}. {f}  ({loc.scores[f]:.3f})")
    print("Symbols:")
    for s in loc.symbols:
        print(f"  {s.file}:{s.start}-{s.end}  {s.name}  [{s.kind}]")
    if narrowed:
        print("Line ranges:")
        for f, rs in loc.line_ranges.items():
            print(f"  {f}: " + ", ".join(f"{a}-{b}" for a, b in rs))
        t = loc.model_totals()
        cost = "unknown" if t["cost"] is None else f"${t['cost']:.4f}"
        print(f"Model: {t['calls']} calls, {t['prompt_tokens']} prompt + "
              f"{t['completion_tokens']} completion tokens, cost {cost}")
        for s in loc.stages:
            if s.fallback or s.notes:
                print(f"  {s.name}: " + "; ".join(s.notes))


def _print_extra(more: dict) -> None:
    if "views" in more:
        print(f"First fix prompt (about {more['prompt_tokens']} tokens) shows:")
        for v in more["views"]:
            print(f"  {v['path']}: " + ", ".join(f"{a}-{b}" for a, b in v["ranges"]))
