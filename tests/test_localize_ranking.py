import pytest

from dsfix.tools.localize import Localization, localize


pytestmark = pytest.mark.usefixtures("isolated_index_cache")


def test_stack_trace_frame_ranks_file_first(repo):
    issue = """Rendering crashes.

Traceback (most recent call last):
  File "/home/me/app.py", line 3, in <module>
  File "/venv/lib/python3.11/site-packages/pkg/render.py", line 9, in render_table
    out.append(" | ".join(cells)[:width])
TypeError: slice indices must be integers
"""
    loc = localize(repo, issue, top_k=3)
    assert isinstance(loc, Localization)
    assert loc.files[0] == "pkg/render.py"
    assert loc.symbols[0].name == "render_table"


def test_identifier_mention_finds_defining_file(repo):
    loc = localize(repo, "`slugify` should keep unicode letters instead of dropping them")
    assert loc.files[0] == "pkg/utils.py"
    assert any(s.name == "slugify" for s in loc.symbols[:3])


def test_error_message_finds_raising_file(repo):
    issue = "I get ValueError: unterminated quoted value in config line for 'a=\"b'"
    assert localize(repo, issue).files[0] == "pkg/parser.py"


def test_test_files_rank_below_the_code_they_exercise(repo):
    # wording echoes the test file more than the source
    issue = "quoted value config line parse is wrong for a quoted value config line"
    files = localize(repo, issue).files
    assert files.index("pkg/parser.py") < files.index("tests/test_parser.py")


def test_scores_and_top_k(repo):
    loc = localize(repo, "render table width", top_k=2)
    assert len(loc.files) <= 2
    assert set(loc.scores) == set(loc.files)
    assert loc.scores[loc.files[0]] >= loc.scores[loc.files[-1]]


def test_dotted_module_path_mention(repo):
    loc = localize(repo, "pkg.utils.truncate_words cuts too early")
    assert loc.files[0] == "pkg/utils.py"
    assert loc.symbols[0].name == "truncate_words"


def test_module_name_mention_points_at_file(repo):
    # no identifier matches; the word "utils" names the module
    assert localize(repo, "something in utils breaks for long inputs").files[0] == "pkg/utils.py"


def test_alias_assignment_counts_as_definition(repo):
    with open(repo / "pkg/render.py", "a") as fh:
        fh.write("\nTableRenderer2 = render_table\n")
    loc = localize(repo, "TypeError: argument of type 'TableRenderer2' is not iterable")
    assert loc.files[0] == "pkg/render.py"


def test_dotted_name_without_package_prefix_finds_module_and_same_named_file(tmp_path):
    """`printing.pretty` names pkg.printing.pretty; its same-named module pretty.py ranks first."""
    from test_localize_helpers import make_repo
    repo = make_repo(tmp_path / "r")
    pretty = repo / "pkg" / "printing" / "pretty"
    pretty.mkdir(parents=True)
    (repo / "pkg" / "printing" / "__init__.py").write_text("")
    (pretty / "__init__.py").write_text("from .pretty import draw\n")
    (pretty / "pretty.py").write_text("def draw(expr):\n    return str(expr)\n")
    (repo / "pkg" / "printing" / "plain.py").write_text("def show(expr):\n    return repr(expr)\n")
    issue = "Wrong output when I show an expr: the repr of the expr is off. Seen in printing.pretty"
    files = localize(repo, issue).files
    assert files[0] == "pkg/printing/pretty/pretty.py"


def _call_repo(tmp_path):
    from test_localize_helpers import make_repo
    repo = make_repo(tmp_path / "r", git=False)
    (repo / "pkg" / "api.py").write_text(
        "from .engine import Engine\n\n\nclass Facade:\n    def none(self):\n"
        "        clone = self._chain()\n        clone.engine.set_empty()\n        return clone\n")
    (repo / "pkg" / "engine.py").write_text(
        "class Engine:\n    def set_empty(self):\n        self.where = None\n")
    for i in range(3):   # files that echo the issue's words, so engine.py has no lexical standing
        (repo / "pkg" / f"combined{i}.py").write_text(
            f"def combined_{i}(queries):\n    '''combined queries'''\n"
            "    return [q for q in queries]\n")
    return repo


def test_callees_of_a_named_method_rise_but_never_above_it(tmp_path, monkeypatch):
    """`Facade.none()` is named; what it calls (Engine.set_empty, in engine.py) is a second hypothesis."""
    from dsfix.tools.localize import fuse
    repo = _call_repo(tmp_path)
    issue = "Facade.none() on combined queries returns all results instead of none. `Facade.none()` is wrong."
    files = localize(repo, issue, top_k=10).files
    assert files[0] == "pkg/api.py" and "pkg/engine.py" in files[1:5]
    monkeypatch.setitem(fuse.WEIGHTS, "call", 50.0)     # however strong, a callee stays below
    assert localize(repo, issue, top_k=10).files[:2] == ["pkg/api.py", "pkg/engine.py"]
    monkeypatch.setitem(fuse.WEIGHTS, "call", 0.0)
    assert "pkg/engine.py" not in localize(repo, issue, top_k=10).files[:5]
