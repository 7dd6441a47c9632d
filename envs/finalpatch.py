"""The patch dsfix reports: computed on the host from dsfix's own edits, then checked.

Nothing in the environment takes part: the original files come from the host's snapshot, the new
contents from dsfix's applier, and the diff from the host's git in a scratch repository with a
clean configuration (no user or system config, no hooks, no attributes). The result is then
checked as any patch from outside would be (``check_patch``): safe paths only, no symlinks, no
submodules, no binary data, no mode other than a regular or executable file.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from .snapshot import EXE, LINK, Snapshot

GIT_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_TERMINAL_PROMPT": "0",
           "GIT_AUTHOR_NAME": "dsfix", "GIT_AUTHOR_EMAIL": "dsfix@localhost",
           "GIT_COMMITTER_NAME": "dsfix", "GIT_COMMITTER_EMAIL": "dsfix@localhost"}


class UnsafePatch(ValueError):
    """A final patch that must not be reported or applied."""


def host_git(cwd: Path, *args: str, stdin: str | None = None, home: Path | None = None) -> str:
    """The host's git with no user or system configuration and no hooks (``home``: the HOME it
    sees, default ``cwd``): a repository's or a user's settings cannot change what it does."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GIT_")}, **GIT_ENV,
           "HOME": str(home or cwd)}
    r = subprocess.run(["git", "-c", "core.hooksPath=/dev/null", "-c", "core.quotepath=off", *args], cwd=cwd,
                       env=env, input=stdin, capture_output=True, text=True, errors="surrogateescape")
    if r.returncode != 0:
        raise RuntimeError(f"git {args[0]} failed: {r.stderr.strip()[-500:]}")
    return r.stdout



def canonical_patch(snap: Snapshot, changes: dict[str, str | None]) -> str:
    """A git diff turning the snapshot's versions of the changed files into ``changes``
    (path -> new text, None for a deletion). Empty when nothing really changes."""
    if not changes:
        return ""
    tmp = Path(tempfile.mkdtemp(prefix="dsfix-patch-"))
    try:
        host_git(tmp, "init", "-q")
        for rel in changes:
            old = snap.entry(rel)
            if old is not None and old.mode != LINK:
                _write(tmp / rel, old.data, old.mode == EXE)
        host_git(tmp, "add", "-A")
        host_git(tmp, "commit", "-q", "--allow-empty", "--no-verify", "-m", "snapshot")
        for rel, text in changes.items():
            if text is None:
                (tmp / rel).unlink(missing_ok=True)
            else:
                old = snap.entry(rel)
                _write(tmp / rel, text.encode("utf-8", "surrogateescape"), bool(old and old.mode == EXE))
        host_git(tmp, "add", "-A")
        patch = host_git(tmp, "diff", "--cached", "--no-color", "--no-ext-diff", "--no-renames", "HEAD")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    check_patch(patch)
    return patch


def _write(path: Path, data: bytes, executable: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    path.chmod(0o755 if executable else 0o644)


def check_patch(patch: str) -> list[str]:
    """Refuse (UnsafePatch) what a patch from dsfix must never carry; returns the paths it touches.

    Read with unidiff (a strict reader of well-formed diffs): every path must pass the applier's
    path rules, and no file may be a symlink, a submodule or binary."""
    from unidiff import PatchSet
    from unidiff.errors import UnidiffParseError

    from dsfix.common.paths import UnsafePath, is_gitmodules, normalize_rel
    if not patch.strip():
        return []
    for line in patch.splitlines():
        if line.startswith(("GIT binary patch", "Binary files ")):
            raise UnsafePatch("binary changes are not allowed in a patch")
        if line.startswith(("new file mode ", "deleted file mode ", "old mode ", "new mode ", "index ")):
            modes = [w for w in line.split() if w.isdigit() and len(w) == 6]
            bad = [m for m in modes if m not in ("100644", "100755")]
            if bad:
                raise UnsafePatch(f"mode {bad[0]} (a symlink or submodule) is not allowed in a patch")
    try:
        files = PatchSet(patch)
    except UnidiffParseError as e:
        raise UnsafePatch(f"not a well-formed diff: {e}") from None
    paths = []
    for f in files:
        for raw in (f.source_file, f.target_file):
            if raw in (None, "/dev/null"):
                continue
            rel = raw[2:] if raw[:2] in ("a/", "b/") else raw
            try:
                rel = normalize_rel(rel)
            except UnsafePath as e:
                raise UnsafePatch(str(e)) from None
            if is_gitmodules(rel.rsplit("/", 1)[-1]):
                raise UnsafePatch(f"refusing to change submodule settings: {rel!r}")
            paths.append(rel)
    return sorted(set(paths))
