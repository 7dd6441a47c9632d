"""A read-only view of the user's repository: which files to copy, and path safety checks."""
from __future__ import annotations

from pathlib import Path

import git

from dsfix.common.paths import UnsafePath, normalize_rel, symlink_on_path
from dsfix.common.worktree import NotAWorkTree, work_tree_root

from .snapshot import Snapshot


class WorkspaceError(ValueError):
    """Bad input about the repository: exit code 2."""


class Workspace:
    def __init__(self, root: Path):
        try:
            self.root = work_tree_root(root)
        except NotAWorkTree as e:
            raise WorkspaceError(str(e)) from None
        self.repo = git.Repo(self.root, search_parent_directories=False)
        self._snapshot: Snapshot | None = None

    def files(self) -> list[str]:
        """Tracked and untracked-but-not-ignored files: the working tree as the user sees it."""
        out = self.repo.git.ls_files("-z", "--cached", "--others", "--exclude-standard")
        names = sorted({n for n in out.split("\0") if n})
        return [n for n in names if (self.root / n).is_symlink() or (self.root / n).is_file()]

    def snapshot(self) -> Snapshot:
        """The working tree as it was when first asked for, kept on the host: what every
        environment is given, and what the reported patch is computed against."""
        if self._snapshot is None:
            self._snapshot = Snapshot(self.root, self.files())
        return self._snapshot

    def check_path(self, rel: str) -> None:
        """Refuse paths that leave the repo, name git metadata or pass through a symlink
        (the applier's rules: dsfix.common.paths)."""
        try:
            norm = normalize_rel(rel)
        except UnsafePath as e:   # the model reads this: say plainly that the path is not one it may use
            raise WorkspaceError(f"path outside the repository: {rel} ({e})") from None
        if symlink_on_path(self.root, norm) is not None:
            raise WorkspaceError(f"path goes through a symlink: {rel}")

    def snapshot_sha(self) -> str:
        try:
            return self.repo.head.commit.hexsha
        except ValueError:  # no commits yet
            return "0" * 40
