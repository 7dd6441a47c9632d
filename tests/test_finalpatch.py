"""The reported patch is computed on the host from dsfix's own edits and checked like any patch."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dsfix.envs.finalpatch import UnsafePatch, canonical_patch, check_patch
from dsfix.envs.snapshot import Snapshot
from dsfix.tools.diff.datatypes import UnsafePathError
from dsfix.tools.diff.paths import check_rel_path, is_dotgit


def _tree(root: Path, files: dict[str, str], exe: tuple[str, ...] = ()) -> Snapshot:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
        if rel in exe:
            (root / rel).chmod(0o755)
    return Snapshot(root, sorted(files))


def _git_apply(root: Path, patch: str) -> None:
    subprocess.run(["git", "apply", "-"], cwd=root, input=patch, text=True, check=True, capture_output=True)


def test_patch_of_edits_new_files_and_deletions_applies_to_the_original(tmp_path):
    files = {"pkg/a.py": "x = 1\ny = 2\n", "pkg/gone.py": "bye\n", "run.sh": "#!/bin/sh\necho hi\n"}
    snap = _tree(tmp_path / "src", files, exe=("run.sh",))
    changes = {"pkg/a.py": "x = 1\ny = 3\n", "pkg/gone.py": None, "pkg/new.py": "z = 0\n",
               "run.sh": "#!/bin/sh\necho bye\n"}
    patch = canonical_patch(snap, changes)
    assert patch.startswith("diff --git") and "new file mode 100644" in patch and "deleted file mode" in patch
    assert "old mode" not in patch                     # the executable bit is kept, not changed
    assert check_patch(patch) == ["pkg/a.py", "pkg/gone.py", "pkg/new.py", "run.sh"]
    dest = tmp_path / "dest"
    _tree(dest, files, exe=("run.sh",))
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    _git_apply(dest, patch)
    assert (dest / "pkg/a.py").read_text() == "x = 1\ny = 3\n" and not (dest / "pkg/gone.py").exists()
    assert (dest / "pkg/new.py").read_text() == "z = 0\n" and (dest / "run.sh").stat().st_mode & 0o100
    assert canonical_patch(snap, {"pkg/a.py": "x = 1\ny = 2\n"}) == ""   # no real change, no patch


def test_the_hosts_git_config_cannot_shape_the_patch(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[diff]\n\tnoprefix = true\n\tmnemonicPrefix = true\n[color]\n\tui = always\n")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))
    snap = _tree(tmp_path / "src", {"a.py": "1\n"})
    patch = canonical_patch(snap, {"a.py": "2\n"})
    assert "--- a/a.py" in patch and "+++ b/a.py" in patch and "\x1b[" not in patch


@pytest.mark.parametrize("patch, why", [
    ("diff --git a/x b/x\nnew file mode 120000\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+/outside/path\n"
     "\\ No newline at end of file\n", "symlink"),
    ("diff --git a/m b/m\nnew file mode 160000\n--- /dev/null\n+++ b/m\n@@ -0,0 +1 @@\n+Subproject commit abc\n",
     "submodule"),
    ("diff --git a/b.bin b/b.bin\nnew file mode 100644\nBinary files /dev/null and b/b.bin differ\n", "binary"),
    ("diff --git a/.GIT/hooks/post-checkout b/.GIT/hooks/post-checkout\nnew file mode 100755\n--- /dev/null\n"
     "+++ b/.GIT/hooks/post-checkout\n@@ -0,0 +1 @@\n+id\n", "git metadata"),
    ("--- a/sub/.Git/config\n+++ b/sub/.Git/config\n@@ -1 +1 @@\n-a\n+b\n", "git metadata"),
    ("--- a/../etc/passwd\n+++ b/../etc/passwd\n@@ -1 +1 @@\n-a\n+b\n", "escapes"),
])
def test_unsafe_final_patches_are_refused(patch, why):
    with pytest.raises(UnsafePatch, match=why):
        check_patch(patch)


@pytest.mark.parametrize("component", [".git", ".GIT", ".Git", ".git.", ".git  ", ".git::$INDEX_ALLOCATION",
                                       "git~1", "GIT~1", ".g\u200cit", "\ufeff.git"])
def test_git_metadata_aliases_as_git_sees_them(component):
    assert is_dotgit(component)
    with pytest.raises(UnsafePathError):
        check_rel_path(f"src/{component}/hooks/pre-commit")


@pytest.mark.parametrize("ok", [".github/workflows/ci.yml", ".gitignore", ".gitmodules_backup", "src/git/x.py",
                                "docs/.git-blame-ignore-revs", "my.git/x"])
def test_ordinary_dot_names_are_fine(ok):
    assert check_rel_path(ok) == ok


_names = st.lists(st.sampled_from(["a", "b", "pkg", "mod.py", "x.txt"]), min_size=1, max_size=3).map("/".join)
_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=80).map(
    lambda s: s + "\n" if s and not s.endswith("\n") else s)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.dictionaries(_names, _text, max_size=4), after=st.dictionaries(_names, st.none() | _text, max_size=4))
def test_property_patch_reproduces_the_edits_exactly(tmp_path_factory, before, after):
    # a path can't be both a file and a directory
    names = set(before) | set(after)
    if any(other.startswith(n + "/") for n in names for other in names):
        return
    root = tmp_path_factory.mktemp("prop")
    snap = _tree(root / "src", before)
    changes = {k: v for k, v in after.items() if not (v is None and k not in before)}
    patch = canonical_patch(snap, changes)
    dest = root / "dest"
    _tree(dest, before)
    subprocess.run(["git", "init", "-q"], cwd=dest, check=True)
    if patch:
        _git_apply(dest, patch)
    for rel, text in {**before, **changes}.items():
        p = dest / rel
        assert (p.read_text() if p.exists() else None) == text


def test_apply_to_the_users_tree_checks_the_patch_and_says_why_not(tmp_path, monkeypatch):
    """--apply: only a verified patch, only after check_patch, only if it applies; a verified patch
    that did not reach the tree exits NOT_APPLIED, never 0."""
    from conftest import make_repo
    from dsfix.agent.loop import Outcome
    from dsfix.common.redact import Redactor
    from dsfix.agent.run import NOT_APPLIED, FixRequest, _maybe_apply, exit_code
    from dsfix.envs.workspace import Workspace
    repo = make_repo(tmp_path / "repo")
    ws = Workspace(repo)
    good = canonical_patch(ws.snapshot(), {"inventory/batching.py": (repo / "inventory/batching.py").read_text()
                                           .replace("len(items) - size + 1, size", "len(items), size")})
    req = FixRequest(repo, "issue", tmp_path / "out", None, apply=True)
    monkeypatch.chdir(tmp_path)   # the user's cwd is not the repository
    evil = good + ("diff --git a/evil b/evil\nnew file mode 120000\n--- /dev/null\n+++ b/evil\n@@ -0,0 +1 @@\n"
                   "+/outside\n\\ No newline at end of file\n")
    r = _maybe_apply(req, ws, Outcome(status="verified", patch=evil), Redactor({}))
    assert r["applied"] is False and "120000" in r["why"] and not (repo / "evil").is_symlink()
    assert _maybe_apply(req, ws, Outcome(status="failed", patch=good), Redactor({}))["applied"] is False
    assert _maybe_apply(req, ws, Outcome(status="verified", patch=good), Redactor({})) == {"applied": True}
    assert "range(0, len(items), size)" in (repo / "inventory/batching.py").read_text()
    again = _maybe_apply(req, ws, Outcome(status="verified", patch=good), Redactor({}))
    assert again["applied"] is False and "does not apply" in again["why"]
    assert exit_code("verified", again) == NOT_APPLIED == 3
    assert exit_code("verified", {"applied": True}) == 0 == exit_code("verified", None)
    assert exit_code("failed", {"applied": False, "why": "no verified patch"}) == 1
