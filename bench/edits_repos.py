"""SWE-bench instances and the files they patch, read from bare git mirrors."""
from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from edits_gold import FileDiff, parse_gold

DATA = Path("/work/shared/data/swebench-lite")
SPLITS = ("test-tune.jsonl", "dev.jsonl")  # never the held-out split


def rows() -> list[dict]:
    return [json.loads(ln) for f in SPLITS for ln in open(DATA / f)]


def mirrors(extra: list[str]) -> dict[str, Path]:
    """OWNER/NAME -> git dir, for bare mirrors under /work/.mirror and the extra dirs."""
    found = {}
    for base in [Path("/work/.mirror")] + [Path(m) for m in extra]:
        for g in list(base.glob("*/repo")) + list(base.glob("*+*")) + [base]:
            if (g / "HEAD").exists() and (g / "objects").exists():
                name = (g.parent.name if g.name == "repo" else g.name).replace("+", "/", 1)
                found.setdefault(name, g)
    return found


def git(gitdir: Path, *args: str) -> str | None:
    p = subprocess.run(["git", "--git-dir", str(gitdir), *args], capture_output=True)
    return p.stdout.decode("utf-8", "surrogateescape") if p.returncode == 0 else None


def git_show(gitdir: Path, commit: str, path: str) -> str | None:
    return git(gitdir, "show", f"{commit}:{path}")


@dataclass
class Instance:
    row: dict
    gitdir: Path
    files: list[FileDiff]
    src: dict[str, str | None]        # the patched files at base_commit
    expected: dict[str, str | None]   # the same after the gold patch (git apply)
    paths: set[str]
    _read: dict[str, str | None] = field(default_factory=dict)

    @cached_property
    def tree(self) -> list[str]:
        out = git(self.gitdir, "ls-tree", "-r", "--name-only", self.row["base_commit"]) or ""
        return out.splitlines()

    def exists(self, path: str) -> bool:
        return path in set(self.tree)

    def read_any(self, path: str) -> str | None:
        """Any file of the repository at base_commit (the patched ones as given)."""
        if path in self.src:
            return self.src[path]
        if path not in self._read:
            self._read[path] = git_show(self.gitdir, self.row["base_commit"], path) \
                if self.exists(path) else None
        return self._read[path]


def load_instance(row, gitdir, apply_gold) -> Instance | None:
    """None when a base file is unreadable or the gold patch does not apply with git."""
    files = parse_gold(row["patch"])
    src = {}
    for f in files:
        if f.path:
            text = git_show(gitdir, row["base_commit"], f.path)
            if text is None:
                return None
            src[f.path] = text
    paths = {p[2:] for f in files for p in (f.old, f.new) if p}
    status, expected = apply_gold(row["patch"], src, paths)
    if status != "applied":
        return None
    return Instance(row, gitdir, files, src, expected, paths)
