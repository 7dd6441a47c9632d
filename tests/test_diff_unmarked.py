"""Model habits around what a line's prefix says: added lines written without their '+',
unchanged lines written as a -/+ pair, and trailing whitespace models add."""
from dsfix.tools.diff import apply_diff

SRC = ("def total(items):\n"
       "    if items is None:  \n"          # the file's own trailing spaces, on one line
       "        return 0\n"
       "    result = 0\n"
       "    for item in items:\n"
       "        result += item\n"
       "    return result\n"
       "\n"
       "\n"
       "def mean(items):\n"
       "    return total(items) / len(items)\n")


def run(diff: str):
    return apply_diff(diff, {"m.py": SRC}.get)


def test_line_between_changes_that_is_not_in_the_file_is_refused():
    # "result = []" lost its '+': between a removed and an added line it cannot be
    # context the model misremembered; applying without it would lose it
    d = ("--- a/m.py\n+++ b/m.py\n@@ -3,4 +3,5 @@\n"
         "         return 0\n-    result = 0\n     result = []\n+    seen = set()\n"
         "     for item in items:\n")
    r = run(d)
    assert not r.ok
    assert "'result = []' between changed lines is not in the file" in r.feedback()


def test_invented_context_next_to_context_is_still_skipped():
    d = ("--- a/m.py\n+++ b/m.py\n@@ -3,4 +3,4 @@\n"
         "         return 0\n     # start the sum\n-    result = 0\n+    result = 0.0\n"
         "     for item in items:\n")
    r = run(d)
    assert r.ok, r.feedback()
    assert r.changes["m.py"] == SRC.replace("    result = 0\n", "    result = 0.0\n")


def test_context_only_hunk_of_a_two_hunk_file_with_a_new_line_is_refused():
    d = ("--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n def total(items):\n"
         "-    if items is None:  \n+    if not items:\n         return 0\n"
         "@@ -10,2 +10,3 @@\n def mean(items):\n     assert items\n"
         "     return total(items) / len(items)\n")
    r = run(d)
    assert not r.ok and "'assert items' is not in the file" in r.feedback()


def test_model_trailing_whitespace_is_not_added_where_the_file_has_little():
    d = ("--- a/m.py\n+++ b/m.py\n@@ -10,2 +10,3 @@\n def mean(items):\n"
         "+    assert items   \n     return total(items) / len(items)\n")
    r = run(d)
    assert r.ok, r.feedback()
    assert r.changes["m.py"] == SRC.replace("def mean(items):\n",
                                            "def mean(items):\n    assert items\n")


def test_unchanged_line_as_minus_plus_pair_keeps_its_trailing_whitespace():
    d = ("--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n def total(items):\n"
         "-    if items is None:  \n-        return 0\n"
         "+    if items is None:  \n+        return 0.0\n")
    r = run(d)
    assert r.ok, r.feedback()
    assert r.changes["m.py"] == SRC.replace("return 0\n", "return 0.0\n")


def test_file_whose_hunks_change_nothing_is_not_among_the_changes():
    d = ("--- a/m.py\n+++ b/m.py\n@@ -10,2 +10,2 @@\n def mean(items):\n"
         "     return total(items) / len(items)\n"
         "--- a/n.py\n+++ b/n.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n")
    r = apply_diff(d, {"m.py": SRC, "n.py": "x = 1\n"}.get)
    assert r.ok, r.feedback()
    assert r.changes == {"n.py": "x = 2\n"}
