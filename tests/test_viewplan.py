"""viewplan.plan_views on fixture files: the line above each place, sibling methods."""
from __future__ import annotations

from dsfix.agent import viewplan
from dsfix.agent.viewplan import plan_views
from dsfix.tools.localize.index import build_index
from dsfix.tools.localize.model import Localization


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
