"""Turn a model's edit (unified diff or search/replace) into changed files in the environment.

Originals come from the host's snapshot and the patch is computed on the host from the applier's
own result (envs.finalpatch): nothing in the environment, where the repository's and the model's
code run, can change what dsfix reports.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from dsfix.envs.base import SCRATCH


@dataclass
class Applied:
    ok: bool
    patch: str = ""                  # canonical diff of the result, never the model's text
    notes: list[str] = field(default_factory=list)
    feedback: str = ""
    syntax: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)   # the repository paths the patch changes
    changes: dict[str, str | None] = field(default_factory=dict)   # path -> new text (None: deleted), from the host


def apply_edit(env, text: str, fmt: str, check_path, snapshot) -> Applied:
    """Apply all-or-nothing. `check_path` raises for paths outside the repo or through symlinks."""
    from dsfix.envs.finalpatch import UnsafePatch, canonical_patch
    from dsfix.tools.diff import PatchError, apply_diff, apply_search_replace, syntax_errors

    def read(path: str) -> str | None:
        check_path(path)  # before any read: a symlink must not even be looked through
        return snapshot.read_text(path)

    try:
        fn = apply_diff if fmt == "udiff" else apply_search_replace
        result = fn(text, read)
        for path in result.changes:
            check_path(path)
            if path == SCRATCH or path.startswith(SCRATCH + "/"):
                raise ValueError(f"{path} is dsfix's scratch space, not part of the repository")
    except (PatchError, ValueError) as e:
        return Applied(False, feedback=f"the patch was refused: {e}")
    if not result.ok:
        return Applied(False, notes=result.notes, feedback=result.feedback())
    try:
        patch = canonical_patch(snapshot, result.changes)
    except UnsafePatch as e:
        return Applied(False, feedback=f"the patch was refused: {e}")
    syntax: list[str] = []
    for path, content in result.changes.items():
        env.write_file(path, content)
        if content is not None:
            syntax += syntax_errors(path, content)
    return Applied(True, patch, result.notes, "", syntax, sorted(result.changes), dict(result.changes))
