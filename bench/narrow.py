"""Narrowing with a model (tools/localize/narrow.py) beside the ranker alone, on SWE-bench Lite.

    .venv/bin/python bench/narrow.py --model deepseek/deepseek-coder [--repos flask,requests] [--limit N]
    .venv/bin/python bench/narrow.py --garbage [...]    # a scripted model that answers nothing usable

Per repo and overall, ranker alone vs narrowing: file hit@1/3/5, function hit@5, line-range hit
(a gold changed line inside a range), line recall (share of gold lines inside ranges), lines in
the ranges, and prompt tokens per stage. Checkouts, gold files/lines/functions come from
bench/localize.py. Accuracy needs a real model: with --garbage every stage falls back, so
narrowing equals the ranker by construction and only prompt sizes and the fallback are measured.
Not run in CI.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from contextlib import contextmanager
from pathlib import Path

from localize import checkout, gold, gold_functions, hits, load_instances  # bench/localize.py

STAGES = ("files", "symbols", "lines")


@contextmanager
def open_model(name: str | None, garbage: bool):
    """A LitellmModel for `name` with the usual settings (dsfix.yaml aside), or the scripted
    garbage model (a replay of one useless answer, not a real model)."""
    from dsfix.agent.backend import local_model
    from dsfix.agent.config import load_settings
    from dsfix.agent.model import LitellmModel
    if garbage:
        path = Path(tempfile.mkdtemp(prefix="dsfix-narrow-")) / "garbage.json"
        path.write_text(json.dumps({"responses": ["I cannot tell from here, sorry."], "then": "repeat"}))
        name = f"scripted/{path}"
    cfg = load_settings(None, None, {"model": {"name": name}})
    with local_model(cfg.model, cfg.local) as model_cfg:
        yield LitellmModel(model_cfg)


def line_scores(ranges: dict, gold_lines: dict[str, list[int]]) -> dict[str, float]:
    inside = [any(a <= n <= b for a, b in ranges.get(f, ())) for f, ns in gold_lines.items() for n in ns]
    return {"line_hit": float(any(inside)) if inside else None,
            "line_recall": sum(inside) / len(inside) if inside else None,
            "range_lines": sum(b - a + 1 for rs in ranges.values() for a, b in rs)}


def scores(files, symbols, ranges, gold_files, gold_lines, gold_fns) -> dict:
    out = hits(files, gold_files)
    out["fn@5"] = float(bool(gold_fns & {(s.file, s.name) for s in symbols[:5]})) if gold_fns else None
    out.update(line_scores(ranges, gold_lines))
    return out


def run_instance(r: dict, work: Path, model, opts) -> dict:
    from dsfix.tools.localize import index as index_mod, localize
    from dsfix.tools.localize.narrow import narrow, ranker_pick
    index_mod._memo.clear()
    issue = r["problem_statement"]
    loc = localize(work, issue, top_k=10)
    gold_files, gold_lines = gold(r["patch"])
    gold_fns = gold_functions(index_mod.get_index(work), gold_lines)
    _, rsyms, rranges = ranker_pick(loc, opts)
    out = {"id": r["instance_id"], "repo": r["repo"],
           "ranker": scores(loc.files, loc.symbols, rranges, gold_files, gold_lines, gold_fns)}
    n = narrow(work, issue, loc, model, opts)
    out["narrow"] = scores(n.files, n.symbols, n.line_ranges, gold_files, gold_lines, gold_fns)
    out["stages"] = {s.name: {"prompt_tokens": s.prompt_tokens, "estimate": s.summary()["prompt_estimate"],
                              "completion_tokens": s.completion_tokens, "called": s.called,
                              "fallback": s.fallback} for s in n.stages}
    out["model"] = n.model_totals()
    return out


def _mean(vals) -> float:
    vals = [v for v in vals if v is not None]
    return statistics.mean(vals) if vals else float("nan")


COLS = ("hit@1", "hit@3", "hit@5", "fn@5", "line_hit", "line_recall")


def table(results: list[dict]) -> None:
    groups = defaultdict(list)
    for x in results:
        groups[x["repo"]].append(x)
    groups["ALL"] = results
    print(f"{'repo':<28}{'n':>4}  {'who':<7}" + "".join(f"{c:>12}" for c in COLS) + f"{'lines':>8}")
    for repo, rows in sorted(groups.items(), key=lambda kv: (kv[0] == "ALL", kv[0])):
        for who in ("ranker", "narrow"):
            line = f"{repo if who == 'ranker' else '':<28}{len(rows) if who == 'ranker' else '':>4}  {who:<7}"
            line += "".join(f"{100 * _mean(x[who][c] for x in rows):>12.1f}" for c in COLS)
            print(line + f"{_mean(x[who]['range_lines'] for x in rows):>8.0f}")
    print("\nprompt tokens per stage (provider count; estimate = characters / 4), over all instances:")
    for st in STAGES:
        rows = [x["stages"][st] for x in results if st in x["stages"]]
        called = [r for r in rows if r["called"]]
        toks = [r["prompt_tokens"] for r in called] or [0]
        est = [r["estimate"] for r in rows if r["estimate"]] or [0]
        print(f"  {st:<8} calls {len(called):>4}  prompt mean {statistics.mean(toks):>6.0f}  max {max(toks):>6}"
              f"  estimate mean {statistics.mean(est):>6.0f} max {max(est):>6}"
              f"  completion mean {_mean(r['completion_tokens'] for r in called):>5.0f}"
              f"  fallbacks {sum(r['fallback'] for r in rows):>4}/{len(rows)}")
    cost = [x["model"]["cost"] for x in results]
    print(f"model: {sum(x['model']['calls'] for x in results)} calls, "
          f"cost {'unknown' if None in cost else f'${sum(cost):.4f}'}")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    who = ap.add_mutually_exclusive_group(required=True)
    who.add_argument("--model", help="any litellm model string (deepseek/deepseek-coder, local/PATH.gguf, ...)")
    who.add_argument("--garbage", action="store_true", help="scripted model answering nothing usable")
    ap.add_argument("--repos", help="comma list of repo names (e.g. flask,requests)")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--stage-tokens", type=int, default=3000)
    ap.add_argument("--scratch", default=str(Path(tempfile.gettempdir()) / "dsfix-narrow-bench"))
    ap.add_argument("--out", help="write per-instance JSON lines here")
    args = ap.parse_args(argv)
    from dsfix.tools.localize.narrow import NarrowOptions
    scratch = Path(args.scratch)
    scratch.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DSFIX_CACHE_DIR", str(scratch / "cache"))
    rows = sorted(load_instances(set(args.repos.split(",")) if args.repos else None),
                  key=lambda r: (r["repo"], r["base_commit"]))
    rows = rows[: args.limit] if args.limit else rows
    opts = NarrowOptions(stage_tokens=args.stage_tokens)
    results, skipped = [], Counter()
    with open_model(args.model, args.garbage) as model:
        for r in rows:
            work = checkout(scratch, r["repo"], r["base_commit"])
            if work is None:
                skipped[r["repo"]] += 1
                continue
            res = run_instance(r, work, model, opts)
            results.append(res)
            print(f"{res['id']:<40} ranker@5={res['ranker']['hit@5']:.0f} narrow@5={res['narrow']['hit@5']:.0f} "
                  f"prompts={[s['prompt_tokens'] for s in res['stages'].values()]}", file=sys.stderr)
    if args.out:
        Path(args.out).write_text("".join(json.dumps(x) + "\n" for x in results))
    print(f"\n{len(results)} instances; skipped {sum(skipped.values())} (repo absent or commit missing): "
          f"{dict(skipped)}")
    if results:
        table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
