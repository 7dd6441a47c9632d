"""One set of path rules (dsfix.common.paths) for the applier, the workspace and the final-patch
check: a path one of them refuses, all of them refuse (the workspace used to let `.GIT/hooks`
and `git~1/config` through, relying on the applier)."""
from __future__ import annotations

import pytest

from conftest import commit_files
from dsfix.envs.finalpatch import UnsafePatch, check_patch
from dsfix.envs.workspace import Workspace, WorkspaceError
from dsfix.tools.diff import UnsafePathError
from dsfix.tools.diff.paths import check_rel_path

BAD = ["../outside.py", "/etc/passwd", "C:/x.py", "~/x.py", ".GIT/hooks/post-checkout", "src/.Git/config",
       "git~1/config", ".g\u200cit/config", ".git. /config", "a/./../../b.py"]


@pytest.fixture
def ws(tmp_path):
    return Workspace(commit_files(tmp_path / "repo", {"a.py": "x = 1\n"}))


@pytest.mark.parametrize("path", BAD)
def test_every_checker_refuses_the_same_paths(ws, path):
    with pytest.raises(UnsafePathError):
        check_rel_path(path)
    with pytest.raises(WorkspaceError):
        ws.check_path(path)
    with pytest.raises(UnsafePatch):
        check_patch(f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-x\n+y\n")


def test_and_accept_the_same_paths(ws):
    for path in ("a.py", "pkg/.github/workflow.yml", "docs/git~2.md", "src/.gitignore"):
        assert check_rel_path(path) == path
        ws.check_path(path)
        assert check_patch(f"--- a/{path}\n+++ b/{path}\n@@ -1 +1 @@\n-x\n+y\n") == [path]


def test_a_symlink_on_the_way_is_refused(ws, tmp_path):
    (ws.root / "link").symlink_to(tmp_path)
    with pytest.raises(WorkspaceError, match="symlink"):
        ws.check_path("link/evil.py")
    from dsfix.tools.diff.fs import safe_target
    with pytest.raises(UnsafePathError, match="symlink"):
        safe_target(ws.root, "link/evil.py")
