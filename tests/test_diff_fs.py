"""apply_to_dir and apply_command on real directories and a real git repo."""
import json
import os
import subprocess

import pytest

from dsfix.tools.diff import PatchError, UnsafePathError, apply_command, apply_to_dir


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True,
                          capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path):
    r = tmp_path / "repo"
    r.mkdir()
    git(r, "init", "-q")
    git(r, "config", "user.email", "t@example.com")
    git(r, "config", "user.name", "t")
    git(r, "config", "core.autocrlf", "false")
    (r / "pkg").mkdir()
    (r / "pkg" / "mod.py").write_text("def f():\n    return 1\n\n\ndef g():\n    return 2\n")
    (r / "win.txt").write_bytes(b"alpha\r\nbeta\r\ngamma\r\n")
    (r / "nonl.txt").write_bytes(b"one\ntwo")
    git(r, "add", "-A")
    git(r, "commit", "-qm", "init")
    return r


MODEL_DIFF = """Here is my fix.

--- pkg/mod.py
+++ pkg/mod.py
@@ -40,4 +40,4 @@
 def g():
-    return 2
+    return 3
"""


def test_model_diff_gives_canonical_git_diff(repo):
    r = apply_to_dir(repo, MODEL_DIFF)
    assert r.ok, r.feedback()
    out = git(repo, "diff")
    assert "-    return 2\n+    return 3\n" in out
    # the canonical diff applies with git itself after a reset of the file
    git(repo, "checkout", "--", "pkg/mod.py")
    p = repo / "canon.patch"
    p.write_text(out)
    git(repo, "apply", "--check", str(p))


def test_check_mode_writes_nothing(repo):
    r = apply_to_dir(repo, MODEL_DIFF, check=True)
    assert r.ok and "pkg/mod.py" in r.changes
    assert git(repo, "status", "--porcelain") == ""


def test_all_or_nothing_when_one_file_fails(repo):
    bad = MODEL_DIFF + "--- win.txt\n+++ win.txt\n@@\n-delta\n+DELTA\n"
    r = apply_to_dir(repo, bad)
    assert not r.ok
    assert git(repo, "status", "--porcelain") == ""


def test_crlf_and_no_newline_preserved_on_disk(repo):
    d = "--- a/win.txt\n+++ b/win.txt\n@@\n alpha\n-beta\n+BETA\n+more\n gamma\n" \
        "--- a/nonl.txt\n+++ b/nonl.txt\n@@\n-one\n+ONE\n two\n"
    r = apply_to_dir(repo, d)
    assert r.ok, r.feedback()
    assert (repo / "win.txt").read_bytes() == b"alpha\r\nBETA\r\nmore\r\ngamma\r\n"
    assert (repo / "nonl.txt").read_bytes() == b"ONE\ntwo"


def test_new_delete_rename_on_disk(repo):
    d = ("diff --git a/pkg/mod.py b/pkg/mod2.py\nrename from pkg/mod.py\nrename to pkg/mod2.py\n"
         "--- /dev/null\n+++ b/new/dir/x.py\n@@ -0,0 +1 @@\n+X = 1\n"
         "--- a/nonl.txt\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-one\n-two\n\\ No newline at end of file\n")
    r = apply_to_dir(repo, d)
    assert r.ok, r.feedback()
    assert (repo / "pkg/mod2.py").exists() and not (repo / "pkg/mod.py").exists()
    assert (repo / "new/dir/x.py").read_text() == "X = 1\n"
    assert not (repo / "nonl.txt").exists()
    mode = os.stat(repo / "new/dir/x.py").st_mode & 0o777
    assert mode == 0o644


def test_symlink_escape_refused(repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "t.txt").write_text("secret\n")
    os.symlink(outside, repo / "link")
    d = "--- a/link/t.txt\n+++ b/link/t.txt\n@@\n-secret\n+pwned\n"
    with pytest.raises(UnsafePathError):
        apply_to_dir(repo, d)
    assert (outside / "t.txt").read_text() == "secret\n"
    os.symlink(outside / "t.txt", repo / "f.txt")
    with pytest.raises(UnsafePathError):
        apply_to_dir(repo, "--- a/f.txt\n+++ b/f.txt\n@@\n-secret\n+pwned\n")
    with pytest.raises(UnsafePathError):
        apply_to_dir(repo, "--- /dev/null\n+++ b/link/new.txt\n@@ -0,0 +1 @@\n+x\n")
    assert sorted(os.listdir(outside)) == ["t.txt"]


def test_not_a_directory(tmp_path):
    with pytest.raises(PatchError):
        apply_to_dir(tmp_path / "missing", MODEL_DIFF)


def test_command_exit_codes_and_json(repo, tmp_path, capsys):
    patch = tmp_path / "p.diff"
    patch.write_text(MODEL_DIFF)
    assert apply_command(repo, patch, check=True, as_json=True) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["files"] == ["pkg/mod.py"] and out["failures"] == []
    assert git(repo, "status", "--porcelain") == ""
    assert apply_command(repo, patch, check=False, as_json=False) == 0
    assert "applied: pkg/mod.py" in capsys.readouterr().out
    assert apply_command(repo, patch, check=False, as_json=True) == 1  # already applied
    out = json.loads(capsys.readouterr().out)
    assert not out["ok"] and out["failures"][0]["path"] == "pkg/mod.py"
    assert "already present" in out["failures"][0]["message"]


@pytest.mark.parametrize("content", [None, "", "no diff here\n", "--- /etc/x\n+++ /etc/x\n@@\n-a\n+b\n",
                                     "diff --git a/b b/b\nGIT binary patch\nliteral 1\nx\n"])
def test_command_bad_input_exit_2(repo, tmp_path, capsys, content):
    patch = tmp_path / "p.diff"
    if content is not None:
        patch.write_text(content)
    assert apply_command(repo, patch, check=False, as_json=True) == 2
    assert json.loads(capsys.readouterr().out)["error"]
    assert apply_command(tmp_path / "nope", patch, check=False, as_json=False) == 2


def test_command_search_replace(repo, tmp_path, capsys):
    patch = tmp_path / "p.txt"
    patch.write_text("pkg/mod.py\n```python\n<<<<<<< SEARCH\ndef f():\n    return 1\n=======\n"
                     "def f():\n    return 10\n>>>>>>> REPLACE\n```\n")
    assert apply_command(repo, patch, check=False, as_json=False) == 0
    assert "return 10" in (repo / "pkg/mod.py").read_text()


def test_unwritable_target_is_bad_input_and_changes_nothing(repo):
    d = MODEL_DIFF + "--- /dev/null\n+++ b/win.txt/sub.txt\n@@ -0,0 +1 @@\n+x\n"
    with pytest.raises(PatchError):
        apply_to_dir(repo, d)
    assert git(repo, "status", "--porcelain") == ""


def test_git_diff_round_trip_with_rename_new_delete_crlf_nonl(repo):
    (repo / "gone.txt").write_text("bye\n")
    git(repo, "add", "gone.txt")
    git(repo, "commit", "-qm", "gone")
    (repo / "pkg" / "mod.py").write_text("def f():\n    return 10\n\n\ndef g():\n    return 2\n")
    git(repo, "mv", "win.txt", "renamed.txt")
    (repo / "renamed.txt").write_bytes(b"alpha\r\nBETA\r\ngamma\r\n")
    (repo / "nonl.txt").write_bytes(b"one\ntwo\nthree")
    (repo / "added.py").write_text("A = 1\n")
    git(repo, "rm", "-q", "gone.txt")
    git(repo, "add", "-A")
    want = git(repo, "diff", "--cached", "-M", "HEAD")
    git(repo, "reset", "-q", "--hard", "HEAD")
    git(repo, "clean", "-qfd")
    r = apply_to_dir(repo, want)
    assert r.ok, r.feedback()
    git(repo, "add", "-A")
    assert git(repo, "diff", "--cached", "-M", "HEAD") == want


def test_command_reads_stdin(repo, monkeypatch, capsys):
    import io
    import sys
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(MODEL_DIFF.encode())))
    assert apply_command(repo, "-", check=True, as_json=False) == 0
    assert "would apply: pkg/mod.py" in capsys.readouterr().out
