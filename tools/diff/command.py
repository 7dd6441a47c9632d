"""`dsfix apply REPO PATCH [--check] [--json]`: 0 applied, 1 refused, 2 bad input."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .fs import apply_to_dir
from .datatypes import ApplyResult, PatchError


def apply_command(repo: Path, patch: Path, check: bool, as_json: bool) -> int:
    """Apply PATCH (a file, or "-" for stdin) to REPO; print text or JSON; return the exit code."""
    try:
        text = _read_patch(Path(repo), Path(patch))
        result = apply_to_dir(Path(repo), text, check=check, fmt="auto")
    except PatchError as e:
        _emit_error(str(e), as_json)
        return 2
    if as_json:
        print(json.dumps(_as_json(result, check), indent=2))
    else:
        print(_human(result, check))
    return 0 if result.ok else 1


def _read_patch(repo: Path, patch: Path) -> str:
    from dsfix.common.worktree import NotAWorkTree, work_tree_root
    try:
        work_tree_root(repo)   # a bare repository or a plain folder is not the tree a patch is for
    except NotAWorkTree as e:
        raise PatchError(str(e)) from None
    if str(patch) == "-":
        data = sys.stdin.buffer.read()
    elif not patch.is_file():
        raise PatchError(f"patch file not found: {patch}")
    else:
        data = patch.read_bytes()
    if b"\x00" in data:
        raise PatchError("binary patch (NUL bytes) is not supported")
    text = data.decode("utf-8", "surrogateescape")
    if not text.strip():
        raise PatchError(f"patch file is empty: {patch}")
    return text


def _as_json(result: ApplyResult, check: bool) -> dict:
    return {
        "ok": result.ok,
        "check": check,
        "files": sorted(result.changes),
        "deleted": sorted(p for p, t in result.changes.items() if t is None),
        "failures": [{"path": f.path, "hunk": f.hunk_index, "message": f.message}
                     for f in result.failures],
        "notes": result.notes,
    }


def _human(result: ApplyResult, check: bool) -> str:
    if not result.ok:
        return result.feedback()
    verb = "would apply" if check else "applied"
    lines = [f"{verb}: {p}" + (" (deleted)" if t is None else "")
             for p, t in sorted(result.changes.items())]
    return "\n".join(lines + [f"note: {n}" for n in result.notes])


def _emit_error(msg: str, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"ok": False, "error": msg, "files": [], "failures": [], "notes": []}))
    else:
        print(f"error: {msg}", file=sys.stderr)
