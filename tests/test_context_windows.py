"""The first prompt's file views: a window on every relevant place of a file, within the budget."""
from __future__ import annotations

import re

import pytest

from dsfix.agent.context import CHARS_PER_TOKEN, build_context
from dsfix.tools.diff import apply_diff

pytestmark = pytest.mark.usefixtures("isolated_index_cache")

ENTRY = '''\
def run_pipeline(config):
    """Run every stage named in the config."""
    weights = [stage.get("weight", 0) for stage in config["stages"]]
    return _normalize_weights(weights)

'''
FAR = '''\
def _normalize_weights(weights):
    total = sum(weights)
    return [w / total for w in weights]
'''


def _filler(n: int, indent: str = "", prefix: str = "helper") -> str:
    """n small functions (methods with an indent) that no issue mentions."""
    return "".join(f"{indent}def {prefix}_{i}(value):\n{indent}    step = value * {i} + {i % 7}\n"
                   f"{indent}    return step - {i % 5}\n\n" for i in range(n))


def _line_of(text: str, needle: str) -> int:
    return next(i for i, s in enumerate(text.splitlines(), 1) if needle in s)


def _shown(view, line: int) -> bool:
    return any(a <= line <= b for a, b in view.ranges)


def _view(views, path):
    return next(v for v in views if v.path == path)


@pytest.fixture
def engine(repo):
    text = ENTRY + _filler(300) + FAR
    (repo / "pkg" / "engine.py").write_text(text)
    return repo, text


TRACEBACK = '''run_pipeline crashes with ZeroDivisionError when every weight is zero

Traceback (most recent call last):
  File "/usr/lib/python3/site-packages/pkg/engine.py", line 4, in run_pipeline
  File "/usr/lib/python3/site-packages/pkg/engine.py", line {line}, in _normalize_weights
ZeroDivisionError: division by zero
'''
QUOTE = '''run_pipeline crashes when every weight is zero. This line divides by the total:

    return [w / total for w in weights]
'''


@pytest.mark.parametrize("how", ["traceback", "quote"])
def test_a_fix_site_far_from_the_named_entry_point_gets_its_own_window(engine, how):
    repo, text = engine
    far = _line_of(text, "return [w / total")
    issue = TRACEBACK.format(line=far) if how == "traceback" else QUOTE
    _, views, files = build_context(repo, issue, 3000)
    v = _view(views, "pkg/engine.py")
    assert v.truncated and far > 1000
    assert _shown(v, 1) and _shown(v, 4)          # the entry point the issue names
    assert _shown(v, far)                         # and the line that fails, 1000 lines below
    assert re.search(r"^\s+\.\.\. \(lines \d+-\d+ not shown\)$", v.numbered, re.M)


def test_a_frame_from_another_version_points_at_its_function_not_its_line(engine):
    """The user ran another version: the stated line is in another function here."""
    from dsfix.agent.places import Issue, file_places
    from dsfix.tools.localize.index import get_index
    repo, text = engine
    far = _line_of(text, "return [w / total")
    syms = [get_index(repo).symbols[i] for i in get_index(repo).file_syms["pkg/engine.py"]]
    lines = text.splitlines()
    for stated, stale in ((far, False), (far - 600, True)):
        issue = Issue.of(TRACEBACK.format(line=stated))
        frames = [p for p in file_places("pkg/engine.py", lines, syms, [], issue, []) if p.why == "frame"]
        assert any(p.start <= far - 2 and far <= p.end for p in frames)   # _normalize_weights
        assert any(p.start <= stated <= p.end for p in frames) != stale


@pytest.fixture
def store(repo):
    head = 'class Store:\n    """Rows on disk."""\n\n'
    load = ("    def load_rows(self, path):\n        with open(path) as fh:\n"
            "            return [line.split(',') for line in fh]\n\n")
    save = ("    def save_rows(self, path, rows):\n        with open(path, 'w') as fh:\n"
            "            fh.writelines(';'.join(r) + '\\n' for r in rows)\n\n")
    text = head + load + _filler(250, "    ", "method") + save + _filler(250, "    ", "other")
    (repo / "pkg" / "store.py").write_text(text)
    return repo, text


def test_two_relevant_methods_of_one_long_file_are_both_shown(store):
    repo, text = store
    issue = "`Store.load_rows` and `Store.save_rows` disagree on the delimiter"
    _, views, _ = build_context(repo, issue, 3000)
    v = _view(views, "pkg/store.py")
    lines = text.splitlines()
    for name in ("def load_rows", "def save_rows"):
        start = _line_of(text, name)
        assert all(_shown(v, n) for n in range(start, start + 3)), name
    assert v.truncated and _shown(v, 1)           # the class line above both windows
    assert _line_of(text, "def save_rows") - _line_of(text, "def load_rows") > 900
    # numbers are the file's own: every numbered line is that line of the file
    for row in v.numbered.splitlines():
        m = re.match(r"^\s*(\d+) (.*)$", row)
        if m:
            assert lines[int(m.group(1)) - 1] == m.group(2)


@pytest.mark.parametrize("budget", [800, 3000, 12000])
def test_views_and_map_stay_within_the_budget(store, budget):
    repo, _ = store
    rmap, views, _ = build_context(repo, "`Store.load_rows` and `Store.save_rows` disagree", budget)
    assert len(rmap) + sum(len(v.numbered) for v in views) <= budget * CHARS_PER_TOKEN


def test_a_diff_copied_from_a_view_across_a_gap_applies(store):
    """A model that quotes the marker between two windows as context: both edits land."""
    repo, text = store
    _, views, _ = build_context(repo, "`Store.load_rows` and `Store.save_rows` disagree", 3000)
    v = _view(views, "pkg/store.py")
    rows = [re.sub(r"^\s*\d+ ", "", r, count=1) for r in v.numbered.splitlines()]
    a = next(i for i, r in enumerate(rows) if "line.split(','" in r)
    b = next(i for i, r in enumerate(rows) if "';'.join" in r)
    assert any("not shown" in r for r in rows[a:b])
    body = [("-" if i in (a, b) else " ") + rows[i] for i in range(a - 1, b + 1)]
    body.insert(body.index("-" + rows[a]) + 1, "+" + rows[a].replace("','", "';'"))
    body.append("+" + rows[b].replace("';'", "','"))
    diff = "--- a/pkg/store.py\n+++ b/pkg/store.py\n@@ -1,1 +1,1 @@\n" + "\n".join(body) + "\n"
    res = apply_diff(diff, lambda p: (repo / p).read_text())
    assert res.ok, res.feedback()
    new = res.changes["pkg/store.py"]
    assert "line.split(';')" in new and "','.join(r)" in new and "not shown" not in new
    assert len(new.splitlines()) == len(text.splitlines())


def test_up_to_five_files_are_shown_when_the_budget_allows(repo):
    for i in range(6):
        (repo / "pkg" / f"part{i}.py").write_text(f"def compute_part_{i}(x):\n    return x + {i}\n")
    issue = "wrong totals from " + ", ".join(f"`compute_part_{i}`" for i in range(6))
    _, views, files = build_context(repo, issue, 12000)
    assert len(views) == 5 and [v.path for v in views] == files[:5]
    assert all(not v.truncated for v in views)


def test_narrowings_picks_lead_even_when_the_ranker_scored_them_low(engine, store):
    from dsfix.tools.localize.index import get_index
    from dsfix.tools.localize.narrow import Narrowed
    repo, text = engine
    far = _line_of(text, "return [w / total")
    idx = get_index(repo)
    methods = [idx.symbols[i] for i in idx.file_syms["pkg/store.py"]][1:]

    def narrow(root, issue, loc):   # the model's pick first, though the ranker scored it low
        return Narrowed(files=["pkg/engine.py", "pkg/store.py"],
                        scores={"pkg/engine.py": 0.05, "pkg/store.py": 1.0}, symbols=methods,
                        line_ranges={"pkg/engine.py": [(far - 1, far)]})
    _, views, _ = build_context(repo, "weights", 800, narrow=narrow)
    assert views[0].path == "pkg/engine.py" and _shown(views[0], far - 1) and _shown(views[0], far)
