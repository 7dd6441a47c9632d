"""Pick the instances of a dataset to run. Loading is shared with `dsfix eval` (envs.evaluate.dataset)."""
from __future__ import annotations

import re

from dsfix.envs.evaluate.dataset import DatasetError, load_dataset

__all__ = ["DatasetError", "load_dataset", "select"]


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
