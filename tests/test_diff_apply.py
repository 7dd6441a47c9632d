"""apply_diff: locating hunks by content, refusing ambiguity, header forms."""
import pytest

from dsfix.tools.diff import ApplyResult, PatchError, UnsafePathError, apply_diff

SRC = "".join(f"line {i}\n" for i in range(1, 41))


def run(diff, files):
    return apply_diff(diff, files.get)


def test_exact_with_wrong_line_numbers_and_counts():
    d = "--- a/f.txt\n+++ b/f.txt\n@@ -1,99 +1,1 @@\n line 19\n-line 20\n+LINE 20\n line 21\n"
    r = run(d, {"f.txt": SRC})
    assert r.ok, r.feedback()
    assert r.changes["f.txt"] == SRC.replace("line 20\n", "LINE 20\n")
    assert any("stated 1" in n for n in r.notes)


@pytest.mark.parametrize("header", ["@@", "@@ ... @@", "@@ -5 +5 @@", "@@@ -3,2 +3,2 @@@"])
def test_loose_hunk_headers(header):
    d = f"--- f.txt\n+++ f.txt\n{header}\n line 3\n-line 4\n+four\n"
    r = run(d, {"f.txt": SRC})
    assert r.ok, r.feedback()
    assert "four\nline 5\n" in r.changes["f.txt"]


def test_whitespace_insensitive_context_and_removed():
    src = "def f():\n    x = 1\n    return x\n"
    d = "--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n def f():\n-  x = 1\n+    x = 2\n   return x\n"
    r = run(d, {"m.py": src})
    assert r.ok, r.feedback()
    assert r.changes["m.py"] == "def f():\n    x = 2\n    return x\n"
    assert any("ignoring whitespace" in n for n in r.notes)


def test_uniformly_dedented_hunk_is_reindented():
    src = "class A:\n    def f(self):\n        a = 1\n        return a\n"
    d = "--- a/m.py\n+++ b/m.py\n@@\n def f(self):\n     a = 1\n+    b = 2\n     return a\n"
    r = run(d, {"m.py": src})
    assert r.ok, r.feedback()
    assert "        b = 2\n" in r.changes["m.py"]


def test_missing_and_wrong_context_is_tolerated():
    d = ("--- a/f.txt\n+++ b/f.txt\n@@ -30,7 +30,7 @@\n line 28\n line 29 (misremembered)\n"
         " line 31\n-line 32\n+LINE 32\n line 33\n")
    r = run(d, {"f.txt": SRC})
    assert r.ok, r.feedback()
    assert r.changes["f.txt"] == SRC.replace("line 32\n", "LINE 32\n")


def test_removed_line_must_match():
    d = "--- a/f.txt\n+++ b/f.txt\n@@\n line 9\n-line 10 extra\n+x\n line 11\n"
    r = run(d, {"f.txt": SRC})
    assert not r.ok and r.changes == {}
    msg = r.failures[0].message
    assert "did you mean" in msg and "f.txt lines" in msg and "line 10" in msg


def test_ambiguous_match_is_refused_with_candidates():
    src = "a\nx = 1\nb\n" + "c\n" * 10 + "a\nx = 1\nb\n"
    d = "--- a/f.txt\n+++ b/f.txt\n@@ -7,3 +7,3 @@\n a\n-x = 1\n+x = 2\n b\n"
    r = run(d, {"f.txt": src})
    assert not r.ok
    assert "2 places" in r.failures[0].message and "lines 1-3" in r.failures[0].message


def test_ambiguous_match_resolved_by_exact_stated_line():
    src = "a\nx = 1\nb\n" + "c\n" * 10 + "a\nx = 1\nb\n"
    d = "--- a/f.txt\n+++ b/f.txt\n@@ -14,3 +14,3 @@\n a\n-x = 1\n+x = 2\n b\n"
    r = run(d, {"f.txt": src})
    assert r.ok, r.feedback()
    assert r.changes["f.txt"].endswith("a\nx = 2\nb\n")


def test_ambiguous_hunk_placed_by_anchor_offset():
    body = "\n".join(f"u{i}" for i in range(30)) + "\n"
    src = "a\nx\nb\n" + body + "a\nx\nb\n"
    # both stated 100 lines too low; hunk 1 is unique and fixes the offset
    d = ("--- a/f.txt\n+++ b/f.txt\n@@ -105,3 +105,3 @@\n u1\n-u2\n+U2\n u3\n"
         "@@ -136,3 +136,3 @@\n a\n-x\n+X\n b\n")
    r = run(d, {"f.txt": src})
    assert r.ok, r.feedback()
    assert r.changes["f.txt"].endswith("a\nX\nb\n") and r.changes["f.txt"].startswith("a\nx\n")


def test_hunks_out_of_order():
    d = ("--- a/f.txt\n+++ b/f.txt\n@@ -30,3 +30,3 @@\n line 30\n-line 31\n+B\n line 32\n"
         "@@ -5,3 +5,3 @@\n line 5\n-line 6\n+A\n line 7\n")
    r = run(d, {"f.txt": SRC})
    assert r.ok, r.feedback()
    assert r.changes["f.txt"] == SRC.replace("line 6\n", "A\n").replace("line 31\n", "B\n")


def test_insertion_between_non_adjacent_context_refused():
    d = "--- a/f.txt\n+++ b/f.txt\n@@\n line 1\n line 2\n line 3\n+new\n line 5\n line 6\n line 7\n"
    r = run(d, {"f.txt": SRC})
    assert not r.ok
    assert "not adjacent" in r.failures[0].message


def test_several_files_new_delete_rename():
    d = ("diff --git a/old.txt b/new.txt\nsimilarity index 90%\nrename from old.txt\n"
         "rename to new.txt\n--- a/old.txt\n+++ b/new.txt\n@@ -1,2 +1,2 @@\n keep\n-x\n+y\n"
         "--- /dev/null\n+++ b/dir/made.py\n@@ -0,0 +1,2 @@\n+a = 1\n+b = 2\n"
         "diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n--- a/gone.txt\n"
         "+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n")
    r = run(d, {"old.txt": "keep\nx\n", "gone.txt": "bye\n"})
    assert r.ok, r.feedback()
    assert r.changes == {"new.txt": "keep\ny\n", "old.txt": None,
                         "dir/made.py": "a = 1\nb = 2\n", "gone.txt": None}


def test_rename_by_differing_paths_without_git_header():
    r = run("--- a.py\n+++ b.py\n@@\n-x = 1\n+x = 2\n", {"a.py": "x = 1\n"})
    assert r.ok and r.changes == {"b.py": "x = 2\n", "a.py": None}


def test_pure_git_rename_without_hunks():
    d = "diff --git a/x.txt b/y.txt\nsimilarity index 100%\nrename from x.txt\nrename to y.txt\n"
    r = run(d, {"x.txt": "hi\n"})
    assert r.ok and r.changes == {"y.txt": "hi\n", "x.txt": None}


def test_create_existing_file_refused():
    r = run("--- /dev/null\n+++ b/f.txt\n@@ -0,0 +1 @@\n+x\n", {"f.txt": "y\n"})
    assert not r.ok and "already exists" in r.failures[0].message


def test_edit_missing_file_refused():
    r = run("--- a/nope.txt\n+++ b/nope.txt\n@@\n-x\n+y\n", {})
    assert not r.ok and "does not exist" in r.failures[0].message


def test_prefix_kept_when_repo_really_has_a_dir():
    r = run("--- a/b.txt\n+++ a/b.txt\n@@\n-x\n+y\n", {"a/b.txt": "x\n"})
    assert r.ok and r.changes == {"a/b.txt": "y\n"}


def test_crlf_file_and_crlf_diff():
    src = "one\r\ntwo\r\nthree\r\n"
    d = "--- a/f.txt\r\n+++ b/f.txt\r\n@@ -1,3 +1,3 @@\r\n one\r\n-two\r\n+TWO\r\n three\r\n"
    r = run(d, {"f.txt": src})
    assert r.ok and r.changes["f.txt"] == "one\r\nTWO\r\nthree\r\n"
    r = run(d.replace("\r\n", "\n"), {"f.txt": src})
    assert r.ok and r.changes["f.txt"] == "one\r\nTWO\r\nthree\r\n"


def test_no_newline_at_end_of_file_kept_and_changed():
    d = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n"
    r = run(d, {"f": "a\nb"})
    assert r.ok and r.changes["f"] == "a\nc\n"
    d = "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n\\ No newline at end of file\n"
    r = run(d, {"f": "a\nb\n"})
    assert r.ok and r.changes["f"] == "a\nc"
    # model forgot the marker: the file's own state is kept
    r = run("--- a/f\n+++ b/f\n@@\n a\n-b\n+c\n", {"f": "a\nb"})
    assert r.ok and r.changes["f"] == "a\nc"
    r = run("--- a/f\n+++ b/f\n@@\n a\n b\n+c\n", {"f": "a\nb"})
    assert r.ok and r.changes["f"] == "a\nb\nc"


def test_blank_context_without_leading_space_and_trailing_prose():
    src = "a\n\nb\nc\n"
    d = "Here is the fix:\n--- a/f\n+++ b/f\n@@ -1,4 +1,4 @@\n a\n\n-b\n+B\n c\n\nThis fixes it.\n"
    r = run(d, {"f": src})
    assert r.ok and r.changes["f"] == "a\n\nB\nc\n"


def test_removed_line_starting_with_dashes_inside_counted_hunk():
    src = "title\n-- sql comment\n--- rule\nend\n"
    d = "--- a/f\n+++ b/f\n@@ -1,4 +1,3 @@\n title\n--- sql comment\n---- rule\n+++ plus\n end\n"
    r = run(d, {"f": src})
    assert r.ok, r.feedback()
    assert r.changes["f"] == "title\n++ plus\nend\n"


def test_overcounted_hunk_does_not_swallow_next_file():
    d = ("--- a/f\n+++ b/f\n@@ -1,9 +1,9 @@\n a\n-b\n+B\n--- a/g\n+++ b/g\n@@ -1,2 +1,2 @@\n x\n-y\n+Y\n")
    r = run(d, {"f": "a\nb\n", "g": "x\ny\n"})
    assert r.ok and r.changes == {"f": "a\nB\n", "g": "x\nY\n"}


def test_same_file_twice_applies_sequentially():
    d = ("--- a/f\n+++ b/f\n@@\n-a\n+A\n--- a/f\n+++ b/f\n@@\n-A\n+AA\n")
    r = run(d, {"f": "a\n"})
    assert r.ok and r.changes == {"f": "AA\n"}


def test_overlapping_hunks_refused():
    d = "--- a/f.txt\n+++ b/f.txt\n@@\n line 3\n-line 4\n+x\n@@\n-line 4\n+y\n line 5\n"
    r = run(d, {"f.txt": SRC})
    assert not r.ok and "overlaps" in r.failures[0].message


@pytest.mark.parametrize("diff", [
    "", "hello\n", "--- a/f\n+++ b/f\n",
    "diff --git a/x.bin b/x.bin\nBinary files a/x.bin and b/x.bin differ\n",
    "diff --git a/x.bin b/x.bin\nGIT binary patch\nliteral 3\nabc\n",
    "@@ -1 +1 @@\n-a\n+b\n", "--- a/f\n+++ b/f\n@@\n-a\x00\n+b\n",
    "diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n+/etc/passwd\n",
])
def test_bad_input_raises_patch_error(diff):
    with pytest.raises(PatchError):
        run(diff, {"f": "a\n"})


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../x", "sub/../../x", "C:/w", ".git/config"])
def test_unsafe_paths_rejected(path):
    with pytest.raises(UnsafePathError):
        run(f"--- {path}\n+++ {path}\n@@\n-a\n+b\n", {})


def test_syntax_error_refused_but_preexisting_error_only_noted():
    r = run("--- a/m.py\n+++ b/m.py\n@@\n-x = 1\n+x = (1\n", {"m.py": "x = 1\n"})
    assert not r.ok and "syntax error" in r.failures[0].message
    r = run("--- a/m.py\n+++ b/m.py\n@@\n-x = 1\n+x = 2\n", {"m.py": "x = 1\nprint 'a'\n"})
    assert r.ok and any("already had syntax errors" in n for n in r.notes)


def test_feedback_lists_problems():
    r = ApplyResult(ok=False)
    assert "NOT applied" in r.feedback()


def test_look_alike_removed_line_elsewhere_is_not_used():
    src = ("def alpha():\n    setup_alpha()\n    x = compute(1)\n    return x\n\n\n"
           "def beta():\n    setup_beta()\n    x = compute()\n    return x\n")
    d = ("--- a/m.py\n+++ b/m.py\n@@ -1,4 +1,4 @@\n def alpha():\n     setup_alpha()\n"
         "-    x = compute()\n+    x = compute(2)\n     return x\n")
    r = run(d, {"m.py": src})
    assert not r.ok
    msg = r.failures[0].message
    assert "context matches best at line 1" in msg and "compute(1)" in msg


def test_new_file_without_dev_null_header():
    r = run("--- a/pkg/n.py\n+++ b/pkg/n.py\n@@ -0,0 +1,2 @@\n+A = 1\n+B = 2\n", {})
    assert r.ok and r.changes == {"pkg/n.py": "A = 1\nB = 2\n"}
    assert "created" in r.notes[0]


def test_timestamps_and_quoted_paths():
    d = ('--- "a/my file.txt"\t2024-01-01 10:00:00.000000000 +0000\n'
         '+++ "b/my file.txt"\t2024-01-02 10:00:00.000000000 +0000\n@@ -1 +1 @@\n-x\n+y\n')
    r = run(d, {"my file.txt": "x\n"})
    assert r.ok and r.changes == {"my file.txt": "y\n"}
    d = "--- f.txt 2024-01-01 10:00:00\n+++ f.txt 2024-01-01 10:00:01\n@@\n-x\n+y\n"
    assert run(d, {"f.txt": "x\n"}).changes == {"f.txt": "y\n"}


def test_unprefixed_context_line_inside_counted_hunk():
    src = "def f():\n    return 1\n"
    d = "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,2 @@\ndef f():\n-    return 1\n+    return 2\n"
    r = run(d, {"m.py": src})
    assert r.ok and r.changes["m.py"] == "def f():\n    return 2\n"


def test_pure_addition_needs_two_real_context_lines_when_fuzzy():
    src = "".join(f"x{i} = {i}\n" for i in range(20))
    d = "--- a/m.py\n+++ b/m.py\n@@\n x5 = 5\n nothing = 0\n+NEW = 1\n other = 0\n"
    r = run(d, {"m.py": src})
    assert not r.ok  # one matching line is too weak to place an insertion


def test_markdown_fenced_diff_with_overcounted_hunk():
    d = "```diff\n--- a/f.txt\n+++ b/f.txt\n@@ -1,9 +1,9 @@\n line 1\n-line 2\n+two\n```\nDone.\n"
    r = run(d, {"f.txt": SRC})
    assert r.ok and r.changes["f.txt"] == SRC.replace("line 2\n", "two\n")


def test_already_applied_hunk_is_named():
    d = "--- a/f.txt\n+++ b/f.txt\n@@\n line 1\n-line 2\n+two\n line 3\n"
    r = run(d, {"f.txt": SRC.replace("line 2\n", "two\n")})
    assert not r.ok and "already present" in r.failures[0].message


def test_git_quoted_utf8_path():
    d = '--- "a/caf\\303\\251.txt"\n+++ "b/caf\\303\\251.txt"\n@@\n-x\n+y\n'
    r = run(d, {"café.txt": "x\n"})
    assert r.ok and r.changes == {"café.txt": "y\n"}


def test_context_only_hunk_is_ignored():
    d = "--- a/f.txt\n+++ b/f.txt\n@@\n line 3\n@@\n line 1\n-line 2\n+two\n"
    r = run(d, {"f.txt": SRC})
    assert r.ok and r.changes["f.txt"] == SRC.replace("line 2\n", "two\n")


def test_context_only_hunk_with_a_line_not_in_the_file_is_refused():
    # "not in file" is most likely an added line written without its '+': dropping the
    # hunk would lose it, so nothing is applied (the other hunk neither)
    d = "--- a/f.txt\n+++ b/f.txt\n@@\n line 3\n not in file\n@@\n line 1\n-line 2\n+two\n"
    r = run(d, {"f.txt": SRC})
    assert not r.ok and "'not in file' is not in the file" in r.feedback()


def test_later_hunk_quoting_earlier_hunk_applies_sequentially():
    d = ("--- a/f.txt\n+++ b/f.txt\n@@\n line 3\n-line 4\n+four\n line 5\n"
         "@@\n line 3\n-four\n+FOUR\n line 5\n")
    r = run(d, {"f.txt": SRC})
    assert r.ok, r.feedback()
    assert r.changes["f.txt"] == SRC.replace("line 4\n", "FOUR\n")
    assert any("one after another" in n for n in r.notes)
