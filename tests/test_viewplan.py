"""viewplan.plan_views on fixture files: the line above each place, sibling methods, the constants a
ranked function reads, the head of a place a little over the budget left."""
from __future__ import annotations

from dsfix.agent import places, viewplan
from dsfix.agent.viewplan import plan_views
from dsfix.tools.localize.index import build_index
from dsfix.tools.localize.results import Localization


def _methods(cls: str, names: list[str], body: int = 6) -> str:
    out = [f"class {cls}:"]
    for n in names:
        out.append(f"    def {n}(self, other):")
        out += [f"        step_{i} = other * {i} + len('{n}')" for i in range(body)]
        out.append("        return step_0\n")
    return "\n".join(out) + "\n\n"


def _plan(tmp_path, text: str, ranked: list[str], budget: int):
    (tmp_path / "mod.py").write_text(text)
    idx = build_index(tmp_path, ["mod.py"])
    syms = [idx.symbols[i] for i in idx.file_syms["mod.py"]]
    by_name = {s.name: s for s in syms}
    loc = Localization(["mod.py"], {"mod.py": 1.0}, [by_name[n] for n in ranked])
    (view,) = plan_views("the issue", loc, {"mod.py": text.splitlines()}, {"mod.py": syms}, budget)
    return view, by_name


def _shown(view, line: int) -> bool:
    return any(a <= line <= b for a, b in view.ranges)


def test_a_reflected_operator_is_shown_beside_the_one_ranked(tmp_path):
    filler = [f"helper_{i}" for i in range(60)]
    text = _methods("Matrix", ["__matmul__"] + filler + ["__rmatmul__"])
    view, syms = _plan(tmp_path, text, ["Matrix.__matmul__"], budget=4000)
    assert _shown(view, syms["Matrix.__matmul__"].start)
    assert _shown(view, syms["Matrix.__rmatmul__"].start + 1)   # far below, not ranked


def test_the_same_method_of_a_sibling_class_is_shown(tmp_path):
    filler = [f"helper_{i}" for i in range(40)]
    text = _methods("DataDoc", ["add_header"] + filler) + _methods("AttrDoc", filler[:20] + ["add_header"])
    view, syms = _plan(tmp_path, text, ["DataDoc.add_header"], budget=4000)
    assert _shown(view, syms["AttrDoc.add_header"].start + 1)


def test_a_name_every_class_has_is_no_kinship(tmp_path):
    text = "".join(_methods(f"C{k}", ["__init__"] + [f"h{k}_{i}" for i in range(12)]) for k in range(5))
    view, syms = _plan(tmp_path, text, ["C0.__init__"], budget=3000)
    assert not any(_shown(view, syms[f"C{k}.__init__"].start + 1) for k in range(1, 5))


def test_the_line_above_each_place_is_shown(tmp_path, monkeypatch):
    """Many ranked methods take the whole budget; each window still starts a line above its
    method, where a fix that adds code before the def anchors (here a class attribute)."""
    names = [f"m{i}" for i in range(30)]
    text = _methods("K", names).replace("    def m", "    limit = 1\n    def m")
    ranked = [f"K.m{i}" for i in (25, 12, 3, 18, 7, 29)]

    def lines_above_shown(budget):
        view, syms = _plan(tmp_path, text, ranked, budget)
        return all(_shown(view, syms[n].start - 1) for n in ranked if _shown(view, syms[n].start))
    budgets = range(1500, 4000, 100)   # the greedy fill is lumpy: over many budgets
    assert all(lines_above_shown(b) for b in budgets)
    monkeypatch.setattr(viewplan, "LEAD", 0)
    assert not all(lines_above_shown(b) for b in budgets)



def test_the_constants_a_ranked_function_reads_are_shown(tmp_path):
    """A module regex and a class attribute the ranked method reads, far above it, are places;
    a module constant it does not read, and an attribute of another class, or of its own class
    but spelled as a local variable, are not."""
    filler = [f"helper_{i}" for i in range(30)]
    parser = _methods("Parser", filler).replace("class Parser:", "class Parser:\n    limit = 3\n")
    text = ("import re\n\n\n" + parser
            + 'OPTION_RE = re.compile(r"(--|-)?[^\\s=]+")\n\n\n'
            + _methods("Filler", filler) + 'UNUSED_RE = re.compile("x")\n\n\n' + _methods("More", filler)
            + "class Other:\n    limit = 5\n    width = (\n        80\n    )\n\n" + _methods("Pad", filler)
            .replace("class Pad:\n", "")
            + "    def parse(self, sig):\n        width = 1\n"
            + "        m = OPTION_RE.match(sig)\n        return m and self.limit + width\n")
    lines = text.splitlines()
    view, syms = _plan(tmp_path, text, ["Other.parse"], budget=1500)
    assert _shown(view, syms["Other.parse"].start + 2)
    assert _shown(view, _line(lines, "OPTION_RE = "))
    assert _shown(view, _line(lines, "    limit = 5"))          # `self.limit`, its own class
    assert not _shown(view, _line(lines, "UNUSED_RE"))
    read = {(p.start, p.end) for p in places.reads(lines, list(syms.values()), [syms["Other.parse"]])}
    width = _line(lines, "    width = (")
    assert read == {(_line(lines, "OPTION_RE = "),) * 2, (_line(lines, "    limit = 5"),) * 2}
    assert (width, width + 2) not in read                    # `width`: a local variable there
    assert places._assignments(lines, list(syms.values()))[1]["Other"]["width"] == (width, width + 2)


def _line(lines: list[str], needle: str) -> int:
    return next(i for i, s in enumerate(lines, 1) if s.startswith(needle))


def test_a_place_a_little_over_what_is_left_shows_its_head(tmp_path, monkeypatch):
    """The greedy fill skips a place that does not fit; its head, if most of it fits, still goes in."""
    filler = [f"helper_{i}" for i in range(40)]
    text = _methods("K", ["a", "b", "c"] + filler + ["second"], body=30)
    ranked = ["K.a", "K.b", "K.c", "K.second"]
    _, syms = _plan(tmp_path, text, ranked, budget=100000)

    def cost(name):
        return sum(len(t) + 6 for t in text.splitlines()[syms[name].start - 2:syms[name].end])
    budget = sum(map(cost, ranked[:3])) + cost("K.second") * 3 // 4 + 300
    assert cost("K.second") < viewplan.PLACE_SHARE * budget   # not clipped to its head already
    view, syms = _plan(tmp_path, text, ranked, budget)
    second = syms["K.second"]
    assert _shown(view, second.start) and _shown(view, second.start + 15)
    assert not _shown(view, second.end)
    monkeypatch.setattr(viewplan, "HEAD_FIT", 0)
    view, _ = _plan(tmp_path, text, ranked, budget)
    assert not _shown(view, second.start + 15)
