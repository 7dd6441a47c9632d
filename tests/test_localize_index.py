import subprocess

import pytest

from dsfix.tools.localize import index as index_mod, localize
from dsfix.tools.localize.cache import cache_root
from dsfix.tools.localize.tokenize import tokenize
from dsfix.tools.localize.signals import extract

from test_localize_helpers import make_repo

pytestmark = pytest.mark.usefixtures("isolated_index_cache")


def _sym(idx, name):
    return next(idx.symbols[i] for i in idx.file_syms["pkg/parser.py"]
                if idx.symbols[i].name == name)


def test_symbol_line_spans_and_signatures(tmp_path):
    idx = index_mod.build_index(make_repo(tmp_path / "r"))
    cls = _sym(idx, "ConfigParser")
    assert (cls.kind, cls.start, cls.end) == ("class", 5, 15)
    meth = _sym(idx, "ConfigParser.parse_line")
    assert (meth.kind, meth.start, meth.end) == ("method", 11, 15)
    assert meth.signature == "def parse_line(self, line):"
    fn = _sym(idx, "load_config")
    assert (fn.kind, fn.start, fn.end) == ("function", 18, 20)


def test_import_graph_and_test_links(tmp_path):
    idx = index_mod.build_index(make_repo(tmp_path / "r"))
    assert "pkg/parser.py" in idx.imports["pkg/render.py"]
    assert "pkg/render.py" in idx.imported_by["pkg/parser.py"]
    assert "pkg/parser.py" in idx.test_links["tests/test_parser.py"]
    assert idx.categories["tests/test_parser.py"] == "test"
    assert idx.categories["docs/conf.py"] == "doc"


def test_cache_hit_on_requery_does_not_rebuild(tmp_path, monkeypatch):
    repo = make_repo(tmp_path / "r")
    first = localize(repo, "render table width")
    assert list((cache_root()).glob("*.pkl"))
    index_mod._memo.clear()  # force the disk cache, as a new process would

    def boom(*a, **k):
        raise AssertionError("index rebuilt")
    monkeypatch.setattr(index_mod, "build_index", boom)
    again = localize(repo, "render table width")
    assert again == first


def test_two_checkouts_of_one_commit_share_the_cached_index(tmp_path, monkeypatch):
    a = make_repo(tmp_path / "a")
    b = tmp_path / "b"
    subprocess.run(["git", "clone", "-q", str(a), str(b)], check=True, capture_output=True)
    first = localize(a, "render table width")
    index_mod._memo.clear()  # a new process, in the other checkout

    def boom(*args, **kw):
        raise AssertionError("index rebuilt")
    monkeypatch.setattr(index_mod, "build_index", boom)
    idx = index_mod.get_index(b)
    assert idx.root == str(b.resolve())  # files are read from the checkout asked about
    assert localize(b, "render table width") == first
    monkeypatch.undo()
    with open(b / "pkg/utils.py", "a") as fh:  # a dirty file makes b a state of its own
        fh.write("\n\ndef only_in_b():\n    return 1\n")
    assert "only_in_b" in index_mod.get_index(b).defs
    assert "only_in_b" not in index_mod.get_index(a).defs


def test_dirty_tree_invalidates_cache(tmp_path):
    repo = make_repo(tmp_path / "r")
    assert "brand_new_helper" not in index_mod.get_index(repo).defs
    with open(repo / "pkg/utils.py", "a") as fh:
        fh.write("\n\ndef brand_new_helper():\n    return 1\n")
    assert "brand_new_helper" in index_mod.get_index(repo).defs


def test_non_git_directory_is_indexed_by_content(tmp_path):
    repo = make_repo(tmp_path / "plain", git=False)
    assert localize(repo, "`slugify` bug").files[0] == "pkg/utils.py"


def test_syntax_error_file_falls_back_to_regex(tmp_path):
    repo = make_repo(tmp_path / "r", git=False)
    (repo / "pkg/old.py").write_text(
        "def legacy(x):\n    print x\n\n@decorate\nclass Old:\n    def m(self,\n):\n        pass\n")
    idx = index_mod.build_index(repo)
    names = {idx.symbols[i].name: idx.symbols[i] for i in idx.file_syms["pkg/old.py"]}
    assert (names["legacy"].start, names["legacy"].end) == (1, 2)
    assert (names["Old"].start, names["Old"].end) == (5, 8)
    assert (names["Old.m"].kind, names["Old.m"].start, names["Old.m"].end) == ("method", 6, 8)


def test_tokenize_splits_code_identifiers():
    toks = tokenize("getHTTPResponse snake_case_name django.db.models")
    assert {"http", "response", "gethttpresponse", "snake", "case", "snake_case_name"} <= set(toks)
    assert "django.db.models" in toks


def test_signals_extract_frames_paths_and_errors():
    sig = extract('File "/x/pkg/a.py", line 12, in run\nKeyError: missing key\nsee pkg/b.py')
    assert (sig.frames[0].path, sig.frames[0].line, sig.frames[0].func) == ("/x/pkg/a.py", 12, "run")
    assert "pkg/b.py" in sig.paths
    assert sig.errors == ["missing key"]


def test_line_scanner_ignores_defs_inside_strings_and_keeps_closing_lines(tmp_path):
    repo = make_repo(tmp_path / "r", git=False)
    (repo / "pkg/doc.py").write_text(
        'def documented():\n'
        '    """Example:\n'
        '\n'
        'def not_a_symbol():\n'
        '    pass\n'
        '"""\n'
        '    return call(\n'
        '        1,\n'
        ')\n'
        '\n'
        'ALIAS = documented\n')
    idx = index_mod.build_index(repo)
    syms = [idx.symbols[i] for i in idx.file_syms["pkg/doc.py"]]
    assert [(s.name, s.start, s.end) for s in syms] == [("documented", 1, 9)]
    assert idx.assigns["ALIAS"] == ["pkg/doc.py"]


def test_multiline_signature_is_joined(tmp_path):
    repo = make_repo(tmp_path / "r", git=False)
    (repo / "pkg/sig.py").write_text("def f(\n    a,\n    b=2,\n):\n    return a\n")
    idx = index_mod.build_index(repo)
    (sym,) = [idx.symbols[i] for i in idx.file_syms["pkg/sig.py"]]
    assert (sym.signature, sym.start, sym.end) == ("def f(a, b=2):", 1, 5)


def _distinct_repo(root, i: int):
    """A fixture repo at a commit of its own (the cache is keyed by content, not by path)."""
    repo = make_repo(root)
    (repo / "pkg" / f"extra{i}.py").write_text(f"X = {i}\n")
    for args in (["add", "-A"], ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x"]):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)
    return repo


def test_cache_is_pruned_least_recently_used_first(tmp_path, monkeypatch):
    """The index cache stays under DSFIX_INDEX_CACHE_MB: the oldest-used index goes, a re-used one stays."""
    import os
    import time
    from dsfix.tools.localize import cache
    repos = [_distinct_repo(tmp_path / f"r{i}", i) for i in range(3)]
    for r in repos[:2]:
        index_mod.get_index(r)
    older, newer = sorted(cache_root().glob("*.pkl"), key=lambda p: p.stat().st_mtime)
    past = time.time() - 100
    os.utime(newer, (past, past))
    os.utime(older, (past - 100, past - 100))
    index_mod._memo.clear()
    index_mod.get_index(repos[0])   # a re-use (load) makes repos[0]'s index the most recent
    stale = cache_root() / "dead-writer.tmp"
    stale.write_bytes(b"x")
    os.utime(stale, (past - 7200, past - 7200))
    one = max(p.stat().st_size for p in cache_root().glob("*.pkl"))
    monkeypatch.setenv("DSFIX_INDEX_CACHE_MB", str(2.5 * one / 2**20))
    index_mod.get_index(repos[2])   # a save: prunes to two indexes
    left = set(cache_root().glob("*.pkl"))
    assert len(left) == 2 and not stale.exists()
    index_mod._memo.clear()
    loaded_from_disk = []
    monkeypatch.setattr(index_mod, "build_index", lambda *a, **k: loaded_from_disk.append(a) or 1 / 0)
    index_mod.get_index(repos[0])   # still cached: no rebuild
    index_mod.get_index(repos[2])
    assert not loaded_from_disk
    assert cache.prune(limit=0) and not list(cache_root().glob("*.pkl"))


def test_bare_from_import_lists_end_with_their_line(tmp_path):
    """`from pkg import mod` on a line of its own links the submodule: the bare name list used to
    run on into the next line (`mod\\nfrom pkg`), and the test lost its link to what it tests."""
    from conftest import commit_files
    commit_files(tmp_path, {
        "pkg/__init__.py": "", "pkg/modutils.py": "def f():\n    return 1\n", "pkg/other.py": "X = 1\n",
        "tests/test_it.py": "import pkg\nfrom pkg import modutils\nfrom pkg import (\n    other,\n)\n\n"
                            "def test_f():\n    assert modutils.f() == other.X\n",
    })
    idx = index_mod.build_index(tmp_path)
    assert {"pkg/modutils.py", "pkg/other.py"} <= idx.test_links["tests/test_it.py"]


def test_a_triple_quote_inside_a_one_line_string_or_comment_opens_no_string(tmp_path):
    # a tuple of quote characters and a comment naming a triple quote: the methods after them
    # are still symbols with their own spans (they were swallowed as if inside a docstring)
    repo = make_repo(tmp_path / "r", git=False)
    (repo / "pkg/quotes.py").write_text(
        "class Visitor:\n"
        "    def visit_str(self, node):\n"
        "        for quote in (\"'\", '\"', '\"\"\"', \"'''\"):\n"
        "            pass\n"
        "        return quote\n"
        "\n"
        "    def visit_doc(self, node):\n"
        "        '''A docstring.\n"
        "def not_a_symbol():\n"
        "        '''\n"
        "        return node\n"
        "\n"
        "\n"
        "def helper():\n"
        "    return 1\n")
    (repo / "pkg/comment.py").write_text(
        "def a():\n    # a triple quote \"\"\" in a comment\n    return 1\n\n\ndef b():\n    return 2\n")
    idx = index_mod.build_index(repo)

    def spans(path):
        return [(s.name, s.start, s.end) for s in (idx.symbols[i] for i in idx.file_syms[path])]
    assert spans("pkg/quotes.py") == [
        ("Visitor", 1, 11), ("Visitor.visit_str", 2, 5), ("Visitor.visit_doc", 7, 11), ("helper", 14, 15)]
    assert spans("pkg/comment.py") == [("a", 1, 3), ("b", 6, 7)]
