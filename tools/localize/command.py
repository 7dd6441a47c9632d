"""`dsfix localize REPO --issue-file F [--top-k K] [--json]` body."""
from __future__ import annotations

import json
import sys
from pathlib import Path


def localize_command(repo: Path, issue_file: Path, top_k: int, as_json: bool) -> int:
    from . import localize  # late: the package imports this module

    repo, issue_file = Path(repo), Path(issue_file)
    if not repo.is_dir():
        print(f"error: repository not found: {repo}", file=sys.stderr)
        return 2
    if not issue_file.is_file():
        print(f"error: issue file not found: {issue_file}", file=sys.stderr)
        return 2
    if top_k < 1:
        print(f"error: --top-k must be >= 1, got {top_k}", file=sys.stderr)
        return 2
    text = issue_file.read_text(encoding="utf-8", errors="replace")
    loc = localize(repo, text, top_k=top_k)
    if as_json:
        print(json.dumps({
            "files": loc.files,
            "symbols": [{"file": s.file, "name": s.name, "start": s.start, "end": s.end}
                        for s in loc.symbols],
        }, indent=2))
        return 0
    print("Files:")
    for i, f in enumerate(loc.files, 1):
        print(f"  {i:>2}. {f}  ({loc.scores[f]:.3f})")
    print("Symbols:")
    for s in loc.symbols:
        print(f"  {s.file}:{s.start}-{s.end}  {s.name}  [{s.kind}]")
    return 0
