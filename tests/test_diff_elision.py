"""The prompt's `... (lines A-B not shown)` lines, copied into an edit, are not file content."""
from dsfix.tools.diff import apply_diff, apply_search_replace
from dsfix.tools.diff.elisions import marker, parse_marker

SRC = "".join(f"line {i}\n" for i in range(1, 41))
GAP = marker(6, 30)


def test_marker_round_trips():
    assert parse_marker(GAP) == (6, 30)
    assert parse_marker("    " + GAP) == (6, 30)         # as indented in a numbered view
    assert parse_marker("... (lines 6-30 shown)") is None


def test_hunk_spanning_two_windows_is_split_at_the_marker():
    d = ("--- a/f.txt\n+++ b/f.txt\n@@ -4,30 +4,30 @@\n line 4\n-line 5\n+FIVE\n"
         f" {GAP}\n line 31\n-line 32\n+THIRTY-TWO\n")
    r = apply_diff(d, {"f.txt": SRC}.get)
    assert r.ok, r.feedback()
    assert r.changes["f.txt"] == SRC.replace("line 5\n", "FIVE\n").replace("line 32\n", "THIRTY-TWO\n")
    assert any("split there" in n for n in r.notes)


def test_unprefixed_marker_does_not_end_the_hunk():
    d = f"--- a/f.txt\n+++ b/f.txt\n@@\n line 4\n-line 5\n+FIVE\n{GAP}\n line 31\n-line 32\n+X\n"
    r = apply_diff(d, {"f.txt": SRC}.get)
    assert r.ok, r.feedback()
    assert "FIVE\n" in r.changes["f.txt"] and "X\nline 33\n" in r.changes["f.txt"]


def test_added_marker_is_never_written_and_additions_after_one_keep_their_place():
    d = (f"--- a/f.txt\n+++ b/f.txt\n@@ -5,1 +5,2 @@\n-line 5\n+FIVE\n+{GAP}\n"
         f"@@ -4,30 +4,30 @@\n line 4\n {GAP}\n+inserted\n")
    r = apply_diff(d, {"f.txt": SRC}.get)
    assert r.ok, r.feedback()
    out = r.changes["f.txt"]
    assert "not shown" not in out and "FIVE\n" in out
    assert "line 30\ninserted\nline 31\n" in out       # after the last elided line


def test_a_file_that_really_has_the_line_is_matched_as_content():
    src = f"intro\n{GAP}\nend\n"
    d = f"--- a/notes.txt\n+++ b/notes.txt\n@@ -1,3 +1,3 @@\n intro\n {GAP}\n-end\n+END\n"
    r = apply_diff(d, {"notes.txt": src}.get)
    assert r.ok, r.feedback()
    assert r.changes["notes.txt"] == f"intro\n{GAP}\nEND\n"


def test_search_replace_across_a_marker():
    text = (f"f.txt\n<<<<<<< SEARCH\nline 5\n{GAP}\nline 31\n=======\n"
            f"FIVE\n{GAP}\nTHIRTY-ONE\n>>>>>>> REPLACE\n")
    r = apply_search_replace(text, {"f.txt": SRC}.get)
    assert r.ok, r.feedback()
    assert r.changes["f.txt"] == SRC.replace("line 5\n", "FIVE\n").replace("line 31\n", "THIRTY-ONE\n")
