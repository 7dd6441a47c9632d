"""Real drift: the gold patch applied to the same files at a nearby commit of the
repository, as when a model remembers (or was shown) another version of the file.

Nothing here is invented: the files are the repository's own at an older or newer
commit, and the expected result is git's three-way merge of the gold change into that
version (`git merge-file`). Versions where the merge conflicts, where the gold change
is already there, or that do not differ from base_commit are no case."""
from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from edits_gold import render
from edits_repos import Instance, git, git_show

MAX_VERSIONS = 4   # versions of the files tried per direction


@dataclass
class Variant:
    """A case whose files are not the instance's own."""
    diff: str
    src: dict[str, str | None]
    expected: dict[str, str | None]


def versions(inst: Instance, newer: bool) -> list[str]:
    """Commits whose tree holds another version of the patched files: before each of
    the last commits that changed them (older), or each later commit that changed them."""
    base, paths = inst.row["base_commit"], sorted(p for p in inst.src)
    if newer:
        out = git(inst.gitdir, "rev-list", "--reverse", "--ancestry-path", f"{base}..HEAD",
                  "--", *paths) or ""
        return out.split()[:MAX_VERSIONS]
    out = git(inst.gitdir, "log", f"-n{MAX_VERSIONS}", "--format=%H", base, "--", *paths) or ""
    return [c + "^" for c in out.split()]


def merge(ours: str, base: str, theirs: str) -> str | None:
    with tempfile.TemporaryDirectory() as d:
        names = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            (Path(d) / name).write_bytes(text.encode("utf-8", "surrogateescape"))
            names.append(str(Path(d) / name))
        p = subprocess.run(["git", "merge-file", "-p", "--quiet", *names], capture_output=True)
    return p.stdout.decode("utf-8", "surrogateescape") if p.returncode == 0 else None


def drift_case(inst: Instance, commit: str) -> Variant | None:
    if any(v is None for v in inst.expected.values()) or any(f.old is None for f in inst.files):
        return None  # creations and deletions: nothing to drift
    src, exp = {}, {}
    for path, base_text in inst.src.items():
        text = git_show(inst.gitdir, commit, path)
        if text is None:
            return None
        merged = merge(text, base_text, inst.expected[path])
        if merged is None or merged == text or _partly_there(inst, path, text):
            return None  # conflicts, or the gold change (or a part) is already in that version
        src[path], exp[path] = text, merged
    if src == inst.src:
        return None
    return Variant(render(inst.files), src, exp)


def _added_runs(inst: Instance, path: str) -> list[list[str]]:
    """Runs of added lines of the gold patch for `path`, whitespace removed."""
    runs = []
    for f in inst.files:
        if f.path != path:
            continue
        for h in f.hunks:
            cur = []
            for ln in h.body + [" "]:
                if ln[:1] == "+" and ln[1:].strip():
                    cur.append("".join(ln[1:].split()))
                elif ln[:1] != "+" and cur:
                    runs.append(cur)
                    cur = []
    return runs


def _partly_there(inst: Instance, path: str, text: str) -> bool:
    """A run of the gold's added lines present in that version but not at base_commit."""
    def has(run, lines):
        return any(lines[i:i + len(run)] == run for i in range(len(lines) - len(run) + 1))
    now = ["".join(s.split()) for s in text.split("\n")]
    before = ["".join(s.split()) for s in inst.src[path].split("\n")]
    return any(has(r, now) and not has(r, before) for r in _added_runs(inst, path))


def drift_cases(inst: Instance, newer: bool) -> list[Variant]:
    out = []
    for commit in versions(inst, newer):
        v = drift_case(inst, commit)
        if v is not None and all(v.src != o.src for o in out):
            out.append(v)
    return out
