"""Cold index, query and cached re-query times of dsfix.tools.localize on big checkouts.

    .venv/bin/python bench/index_time.py DIR [DIR ...]     # e.g. unpacked Django releases

Baseline in the same run: plain BM25 over whole files (read + tokenize + build), the cost any
lexical retriever pays. Not run in CI.
"""
from __future__ import annotations

import os
import re
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ISSUE = "QuerySet.none() on combined queries returns all results. With union() the none() call is ignored."


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def bm25_baseline(root: Path, paths: list[str]) -> float:
    from dsfix.tools.localize.bm25 import BM25
    t = time.time()
    docs = [Counter(w.lower() for w in re.findall(r"\w+", (root / p).read_text(errors="replace")))
            for p in paths]
    BM25.build(docs).score(Counter(w.lower() for w in re.findall(r"\w+", ISSUE)))
    return time.time() - t


def main(argv: list[str]) -> int:
    os.environ["DSFIX_CACHE_DIR"] = tempfile.mkdtemp(prefix="dsfix-index-time-")
    from dsfix.tools.localize import index as im, localize
    print(f"{'tree':<14}{'files':>6} {'cold s':>7} {'cpu s':>6} {'query s':>8} {'cached s':>9} {'BM25 s':>7}")
    for d in map(Path, argv):
        im._memo.clear()
        t, c, ch = time.time(), time.process_time(), _child_cpu()
        idx = im.get_index(d)
        cold, cpu = time.time() - t, time.process_time() - c + _child_cpu() - ch
        t = time.time()
        localize(d, ISSUE)
        query = time.time() - t
        im._memo.clear()
        t = time.time()
        localize(d, ISSUE)   # from the disk cache, as a new process would
        cached = time.time() - t
        base = bm25_baseline(d, idx.paths)
        print(f"{d.name:<14}{len(idx.paths):>6} {cold:>7.2f} {cpu:>6.2f} {query:>8.2f} {cached:>9.2f} {base:>7.2f}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
