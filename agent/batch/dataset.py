"""Load a SWE-bench-style dataset (local JSON/JSONL or a Hugging Face name) and pick instances."""
from __future__ import annotations

import json
import re
from pathlib import Path


class DatasetError(ValueError):
    """Bad dataset or selection: exit code 2."""


def load_dataset(name: str, split: str = "test") -> list[dict]:
    path = Path(name)
    if path.is_file():
        return _load_file(path)
    if path.suffix in (".json", ".jsonl") or "/" not in name:
        raise DatasetError(f"dataset file not found: {name}")
    try:
        import datasets  # optional: what researchers use for hub names
    except ImportError:
        raise DatasetError(f"{name} looks like a Hugging Face dataset; `pip install datasets` to load it, "
                           "or give a local JSON/JSONL file") from None
    try:
        return [dict(row) for row in datasets.load_dataset(name, split=split)]
    except Exception as e:  # noqa: BLE001 - the hub's message is the explanation
        raise DatasetError(f"cannot load {name} [{split}]: {str(e).splitlines()[0][:200]}") from e


def _load_file(path: Path) -> list[dict]:
    text = path.read_text()
    try:
        if text.lstrip().startswith("["):
            rows = json.loads(text)
        else:
            rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as e:
        raise DatasetError(f"{path}: not valid JSON/JSONL ({e})") from e
    for i, row in enumerate(rows):
        missing = {"instance_id", "repo", "base_commit", "problem_statement"} - set(row)
        if missing:
            raise DatasetError(f"{path}: row {i + 1} lacks {', '.join(sorted(missing))}")
    return rows


def select(rows: list[dict], ids: list[str] | None = None, pattern: str | None = None,
           slice_: str | None = None) -> list[dict]:
    if ids:
        known = {r["instance_id"] for r in rows}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise DatasetError(f"unknown instance ids: {', '.join(unknown[:5])}")
        rows = [r for r in rows if r["instance_id"] in set(ids)]
    if pattern:
        try:
            rx = re.compile(pattern)
        except re.error as e:
            raise DatasetError(f"bad --filter regex: {e}") from e
        rows = [r for r in rows if rx.search(r["instance_id"])]
    if slice_:
        m = re.fullmatch(r"(-?\d*):(-?\d*)", slice_)
        if not m:
            raise DatasetError(f"bad --slice {slice_!r}: use A:B")
        rows = rows[slice(*(int(x) if x else None for x in m.groups()))]
    return rows
