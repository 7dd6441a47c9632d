"""Aider-style SEARCH/REPLACE blocks."""
import pytest

from dsfix.tools.diff import PatchError, apply_search_replace, apply_to_dir

SRC = "import os\n\n\ndef f(x):\n    y = x + 1\n    return y\n\n\ndef g():\n    return 2\n"


def block(path, search, replace, fence=True):
    body = f"<<<<<<< SEARCH\n{search}=======\n{replace}>>>>>>> REPLACE\n"
    return f"{path}\n```python\n{body}```\n" if fence else f"{path}\n{body}"


def test_basic_replace():
    r = apply_search_replace(block("m.py", "    y = x + 1\n", "    y = x + 2\n"), {"m.py": SRC}.get)
    assert r.ok, r.feedback()
    assert r.changes["m.py"] == SRC.replace("x + 1", "x + 2")


def test_whitespace_drift_and_misremembered_context():
    s = "def f(x):\n  y = x + 1\n    return  y\n"   # drifted indentation / spacing
    r = apply_search_replace(block("m.py", s, "def f(x):\n    y = x + 1\n    return y * 2\n"),
                             {"m.py": SRC}.get)
    assert r.ok, r.feedback()
    assert "    return y * 2\n" in r.changes["m.py"]


def test_several_blocks_sequential_and_two_files():
    text = (block("m.py", "def g():\n    return 2\n", "def g():\n    return 3\n")
            + "Then:\n\n" + block("m.py", "    return 3\n", "    return 4\n")
            + block("pkg/new.py", "", "X = 1\n"))
    r = apply_search_replace(text, {"m.py": SRC}.get)
    assert r.ok, r.feedback()
    assert r.changes["m.py"].endswith("def g():\n    return 4\n")
    assert r.changes["pkg/new.py"] == "X = 1\n"


def test_block_without_fence_reuses_previous_path():
    text = block("m.py", "import os\n", "import sys\n", fence=False) + \
        "<<<<<<< SEARCH\n    return 2\n=======\n    return 5\n>>>>>>> REPLACE\n"
    r = apply_search_replace(text, {"m.py": SRC}.get)
    assert r.ok and "import sys" in r.changes["m.py"] and "return 5" in r.changes["m.py"]


def test_no_match_refused_with_did_you_mean():
    r = apply_search_replace(block("m.py", "    z = x + 1\n", "    z = 0\n"), {"m.py": SRC}.get)
    assert not r.ok
    f = r.failures[0]
    assert f.path == "m.py" and f.hunk_index == 1
    assert "did you mean" in f.message and "y = x + 1" in f.message


def test_ambiguous_refused():
    src = "a = 1\nb = 2\n" * 2
    r = apply_search_replace(block("m.txt", "b = 2\n", "b = 3\n"), {"m.txt": src}.get)
    assert not r.ok and "2 places" in r.failures[0].message


def test_missing_file_refused():
    r = apply_search_replace(block("nope.py", "x\n", "y\n"), {}.get)
    assert not r.ok and "does not exist" in r.failures[0].message


@pytest.mark.parametrize("text", ["", "just words\n", "m.py\n<<<<<<< SEARCH\nx\n",
                                  "<<<<<<< SEARCH\nx\n=======\ny\n>>>>>>> REPLACE\n"])
def test_malformed_raises(text):
    with pytest.raises(PatchError):
        apply_search_replace(text, {"m.py": SRC}.get)


def test_on_disk_crlf_preserved(tmp_path):
    (tmp_path / "w.txt").write_bytes(b"one\r\ntwo\r\n")
    r = apply_to_dir(tmp_path, block("w.txt", "two\n", "TWO\n"), fmt="search_replace")
    assert r.ok
    assert (tmp_path / "w.txt").read_bytes() == b"one\r\nTWO\r\n"


def test_syntax_error_refused():
    r = apply_search_replace(block("m.py", "    return y\n", "    return (y\n"), {"m.py": SRC}.get)
    assert not r.ok and "syntax error" in r.failures[0].message


def test_notes_name_blocks():
    text = block("m.py", "import os\n", "import sys\n") + block("m.py", "def g():\n  return 2\n", "def g():\n    return 3\n")
    r = apply_search_replace(text, {"m.py": SRC}.get)
    assert r.ok and r.notes == ["block 2 of m.py matched ignoring whitespace at line 9"]


def test_rest_underline_in_search_is_content_not_divider():
    src = 'def f():\n    """Doc.\n\n    Example\n    =======\n    """\n    return 1\n'
    text = block("d.py", "    Example\n    =======\n    \"\"\"\n    return 1\n",
                 "    Example\n    =======\n    \"\"\"\n    return 2\n")
    r = apply_search_replace(text, {"d.py": src}.get)
    assert r.ok, r.feedback()
    assert r.changes["d.py"] == src.replace("return 1", "return 2")
