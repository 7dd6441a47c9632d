"""The tests before any change, kept for the next run that would repeat them exactly.

A baseline depends only on the image, the snapshot, the test command and the environment's
settings; a batch rerun, another model on the same instances, or a second issue on the same commit
would run the same suite on the same code to the same end. Its result is kept under
``baselines/`` in dsfix's cache directory keyed by all of those (and dsfix's version, which reads the results),
so that run is spent once. Only a clean answer is kept: a run that timed out, whose log is not
trusted or that read no results is run again next time. Only Docker environments have a key: an
image is content-addressed, the user's own machine (``--env local``) is not.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, fields
from pathlib import Path

from dsfix.common.atomic import write_atomic
from dsfix.envs.images import cache_dir

from . import __version__
from .judge import TestRun


def baselines_dir() -> Path:
    return cache_dir() / "baselines"


def baseline_key(env, snapshot_sha: str, command: str, settings: dict) -> str | None:
    """The key of this baseline, or None where the environment has no stable identity."""
    image_id = getattr(env, "image_id", None)
    if not image_id or not snapshot_sha or not command:
        return None
    what = {"dsfix": __version__, "image": image_id, "snapshot": snapshot_sha, "command": command,
            "runs_as": getattr(env, "runs_as", ""), "settings": settings}
    return hashlib.sha256(json.dumps(what, sort_keys=True, default=str).encode()).hexdigest()[:32]


class BaselineStore:
    def __init__(self, key: str | None, root: Path | None = None):
        self.key = key
        self.path = (root or baselines_dir()) / f"{key}.json" if key else None

    def load(self) -> TestRun | None:
        if self.path is None or not self.path.is_file():
            return None
        try:
            data = json.loads(self.path.read_text())
            names = {f.name for f in fields(TestRun)}
            return TestRun(**{**{k: v for k, v in data.items() if k in names}, "reused": True})
        except (OSError, ValueError, TypeError):
            return None   # a damaged entry: the run answers instead

    def save(self, run: TestRun | None) -> bool:
        if self.path is None or run is None or run.timed_out or run.problem or not run.statuses:
            return False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(self.path, json.dumps(asdict(run)))
        return True
