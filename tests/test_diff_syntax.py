"""syntax_errors and feedback text."""
from dsfix.tools.diff import apply_diff, syntax_errors


def test_python_syntax():
    assert syntax_errors("a.py", "x = 1\n") == []
    errs = syntax_errors("pkg/a.py", "def f(:\n    pass\n")
    assert len(errs) == 1 and errs[0].startswith("pkg/a.py:1:")
    assert syntax_errors("a.py", "x = 1\x00\n")
    assert syntax_errors("a.py", "if x is 1:\n    pass\n") == []  # a SyntaxWarning is fine


def test_other_files_skipped_without_tree_sitter():
    assert syntax_errors("README.md", "# {{{ unbalanced") == []
    assert syntax_errors("x.json", "{") in ([], syntax_errors("x.json", "{"))


def test_feedback_names_lines_and_excerpt():
    src = "".join(f"value_{i} = {i}\n" for i in range(50))
    d = "--- a/v.py\n+++ b/v.py\n@@ -20,3 +20,3 @@\n value_20 = 20\n-value_21 = 2l\n+value_21 = 0\n value_22 = 22\n"
    r = apply_diff(d, {"v.py": src}.get)
    assert not r.ok
    fb = r.feedback()
    assert "v.py hunk 1" in fb and "-'value_21 = 2l'" in fb
    assert "did you mean v.py lines 20-" in fb and "   22 | value_21 = 21" in fb
    assert "no file was changed" in fb


def test_notes_report_whitespace_and_offset():
    src = "a = 1\nb = 2\n"
    r = apply_diff("--- a/x.py\n+++ b/x.py\n@@ -7,2 +7,2 @@\n a  =  1\n-b = 2\n+b = 3\n", {"x.py": src}.get)
    assert r.ok
    assert r.notes == ["hunk 1 of x.py matched ignoring whitespace at line 1 (stated 7)"]


def test_tree_sitter_used_when_available(monkeypatch):
    from dsfix.tools.diff import syntax

    class Node:
        def __init__(self, kind, children=(), error=False, row=0):
            self.type, self.children, self.is_missing = kind, list(children), False
            self.has_error, self.start_point = error or any(c.has_error for c in children), (row, 0)

    class Parser:
        def parse(self, data):
            bad = b"{" in data and b"}" not in data
            return type("T", (), {"root_node": Node("program", [Node("ERROR", error=True, row=2)] if bad else [])})()

    monkeypatch.setattr(syntax, "_ts_parser", lambda lang: Parser())
    assert syntax_errors("a.js", "let x = {};\n") == []
    assert syntax_errors("a.js", "let x = {;\n") == ["a.js:3: syntax error (tree-sitter javascript)"]
