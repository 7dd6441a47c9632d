"""Narrowing (files -> symbols -> line ranges) with the model in the loop.

The model here is the *scripted model*: a litellm custom provider that replays the answers
each test writes (agent/scripted.py). It is not a real model; it stands in for one so that
each parsing path, fallback and budget is exercised through the real model layer.
"""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from clirun import script
from dsfix.agent.config import ModelSettings, Settings
from dsfix.agent.model import LitellmModel
from dsfix.tools.localize import localize
from dsfix.tools.localize.index import get_index
from dsfix.tools.localize.answers import parse_files, parse_ranges, parse_symbols
from dsfix.tools.localize.narrow import NarrowOptions, narrow, ranker_pick
from dsfix.tools.localize.skeleton import estimate_tokens

pytestmark = pytest.mark.usefixtures("isolated_index_cache")

# The ranker puts pkg/render.py first for this issue; the fault is in the parser.
ISSUE = "render_config crashes when a value holds a quote"


def scripted(tmp_path, answers, then="error") -> LitellmModel:
    name = script(tmp_path / "answers.json", answers, then=then)
    return LitellmModel(ModelSettings(name=name, retries=0))


def by_name(syms):
    return [(s.file, s.name) for s in syms]


def test_model_picks_flow_through_before_the_ranking(repo, tmp_path):
    loc = localize(repo, ISSUE, top_k=5)
    assert loc.files[0] == "pkg/render.py"
    model = scripted(tmp_path, ["```\npkg/parser.py\n```", "```\npkg/parser.py: ConfigParser.parse_line\n```",
                                "```\npkg/parser.py:13-14\n```"])
    seen = []
    out = narrow(repo, ISSUE, loc, model, on_stage=seen.append)
    assert out.files[0] == "pkg/parser.py" and set(out.files) == set(loc.files)
    assert by_name(out.symbols)[0] == ("pkg/parser.py", "ConfigParser.parse_line")
    assert out.line_ranges == {"pkg/parser.py": [(13, 14)]}
    assert [s.name for s in seen] == ["files", "symbols", "lines"] and not any(s.fallback for s in seen)
    files_p, syms_p, lines_p = (s.prompt for s in seen)
    # compact at each stage: paths, then signatures, then only the chosen body
    assert "1. pkg/render.py" in files_p and "def " not in files_p
    assert "11-15 def parse_line(self, line):" in syms_p and "partition" not in syms_p
    assert "12         key, _, value = line.partition" in lines_p and "render_table" not in lines_p
    totals = out.model_totals()
    assert totals["calls"] == 3 == model.totals.calls
    assert totals["prompt_tokens"] == model.totals.usage.prompt > 0


@pytest.mark.parametrize("answer, expected", [
    ("The bug is in `pkg/parser.py`; render.py only calls it.", ["pkg/parser.py", "pkg/render.py"]),
    ("```text\npkg/parser.py:13\n```\nthen maybe tests/test_parser.py", ["pkg/parser.py"]),
    ("It is pkg.utils, clearly.", ["pkg/utils.py"]),
    ("`pkg.render.render_table` mangles rows; self.strict is unrelated", ["pkg/render.py"]),
    ("--- a/pkg/render.py\n+++ b/pkg/render.py", ["pkg/render.py"]),
])
def test_file_answers_parse_in_many_shapes(repo, answer, expected):
    idx, notes = get_index(repo), []
    assert parse_files(answer, idx, ["pkg/render.py", "pkg/parser.py"], notes) == expected


def test_misspelled_or_unknown_files_resolve_or_drop(repo):
    idx, notes = get_index(repo), []
    got = parse_files("```\npkg/parsr.py\npkg/nothing_like_it.py\n```", idx, ["pkg/parser.py"], notes)
    assert got == ["pkg/parser.py"]
    assert any("did you mean pkg/parser.py" in n for n in notes)
    assert any("nothing_like_it.py" in n and "dropped" in n for n in notes)


def _cands(repo, files):
    idx = get_index(repo)
    return idx, {f: [idx.symbols[i] for i in idx.file_syms[f]] for f in files}


@pytest.mark.parametrize("answer, expected", [
    ("```\npkg/parser.py:13\n```", [("pkg/parser.py", "ConfigParser.parse_line")]),
    ("pkg/parser.py::ConfigParser::parse_line", [("pkg/parser.py", "ConfigParser.parse_line")]),
    ("I would change the `parse_line` method, nothing else.", [("pkg/parser.py", "ConfigParser.parse_line")]),
    ("```python\npkg/render.py: render_table  # the width\npkg/parser.py: load_config()\n```",
     [("pkg/render.py", "render_table"), ("pkg/parser.py", "load_config")]),
])
def test_symbol_answers_parse_in_many_shapes(repo, answer, expected):
    idx, cands = _cands(repo, ["pkg/parser.py", "pkg/render.py"])
    got = parse_symbols(answer, idx, cands, lambda f: [], [])
    assert by_name(got) == expected


def test_misspelled_symbols_get_did_you_mean_and_unknown_ones_are_dropped(repo):
    idx, cands = _cands(repo, ["pkg/parser.py"])
    notes = []
    got = parse_symbols("```\nConfigParser.prase_line\nfrobnicate_everything\n```", idx, cands, lambda f: [], notes)
    assert by_name(got) == [("pkg/parser.py", "ConfigParser.parse_line")]
    assert any("did you mean pkg/parser.py: ConfigParser.parse_line" in n for n in notes)
    assert any("frobnicate_everything" in n and "dropped" in n for n in notes)
    # outside code, a plain word is prose even when a symbol has that name; in backticks it is code
    idx, cands = _cands(repo, ["pkg/parser.py", "pkg/utils.py"])
    assert parse_symbols("No idea, sorry; maybe slugify or the parsing logic.", idx, cands, lambda f: [], []) == []
    assert by_name(parse_symbols("Maybe `slugify`.", idx, cands, lambda f: [], [])) == [("pkg/utils.py", "slugify")]


@pytest.mark.parametrize("answer, expected", [
    ("```\npkg/parser.py:13-14\n```", [(13, 14)]),
    ("Change lines 13 to 14.", [(13, 14)]),
    ("L13-L14 and line 15", [(13, 15)]),
    ("pkg/parser.py:8-30", [(11, 15)]),          # clipped to the code shown
    ("```\n400-410\n```", {}),                     # outside anything shown
])
def test_line_answers_parse_and_stay_inside_the_code_shown(repo, answer, expected):
    idx, cands = _cands(repo, ["pkg/parser.py"])
    shown = [s for s in cands["pkg/parser.py"] if s.name == "ConfigParser.parse_line"]
    notes = []
    got = parse_ranges(answer, idx, shown, notes, limit=6)
    assert got == ({"pkg/parser.py": expected} if expected else {})
    if not expected:
        assert any("outside the code shown" in n for n in notes)


def test_garbage_answers_fall_back_to_the_ranker_and_say_so(repo, tmp_path):
    loc = localize(repo, ISSUE, top_k=5)
    model = scripted(tmp_path, ["I am not sure, sorry.", "", "```\n```"])
    out = narrow(repo, ISSUE, loc, model)
    assert out.files == loc.files
    assert by_name(out.symbols) == by_name(loc.symbols)
    assert [s.fallback for s in out.stages] == [True, True, True]
    assert all("stand in" in s.notes[-1] for s in out.stages)
    files, syms, ranges = ranker_pick(loc, NarrowOptions())
    assert out.line_ranges == ranges and ranges           # the ranker's symbols' spans
    assert by_name(out.symbols[:len(syms)]) == by_name(syms)


def test_a_model_error_stops_calls_and_keeps_the_ranking(repo, tmp_path):
    loc = localize(repo, ISSUE, top_k=5)
    model = scripted(tmp_path, [{"error": "fatal"}], then="repeat")
    out = narrow(repo, ISSUE, loc, model)
    assert out.files == loc.files and out.model_totals()["calls"] == 0
    assert "model error" in out.stages[0].notes[0]
    assert all("no model call" in s.notes[0] for s in out.stages[1:])


def _big_module(n: int) -> str:
    methods = "".join(f"    def method_{i}(self, value, *, option_{i}=None):\n"
                      + "".join(f"        value = value + {j}  # step {j} of method {i}\n" for j in range(8))
                      + "        return value\n\n" for i in range(n))
    consts = "".join(f"LIMIT_{i} = {i}\n" for i in range(40))
    return f'"""A very large module."""\n{consts}\n\nclass Big:\n{methods}'


def test_prompts_stay_within_the_stage_budget_on_a_large_file(repo, tmp_path):
    (repo / "pkg" / "big.py").write_text(_big_module(400))
    issue = "Big.method_3 returns the wrong value. " + "Traceback line that goes on and on. " * 600
    loc = localize(repo, issue, top_k=5)
    model = scripted(tmp_path, ["pkg/big.py", "pkg/big.py: Big", "pkg/big.py:60-61"])
    budget = 800
    out = narrow(repo, issue, loc, model, NarrowOptions(stage_tokens=budget))
    assert [s.fallback for s in out.stages] == [False, False, False]
    for st in out.stages:
        assert estimate_tokens(st.prompt) <= budget and 0 < st.prompt_tokens <= budget, st.name
        assert "characters of the issue left out" in st.prompt
    assert "more)" in out.stages[1].prompt               # the skeleton was cut, and says so
    assert "more lines)" in out.stages[2].prompt         # so was the class body
    assert out.line_ranges == {"pkg/big.py": [(60, 61)]}


def test_build_context_centres_file_views_on_narrowed_ranges(repo):
    from dsfix.agent.context import build_context
    (repo / "pkg" / "big.py").write_text(_big_module(400))
    issue = "pkg/big.py: Big.method_3 returns the wrong value"

    def pick_late_lines(root, text, loc):
        from dsfix.tools.localize.narrow import Narrowed
        return Narrowed(files=["pkg/big.py"], scores={"pkg/big.py": 0.0}, symbols=[],
                        line_ranges={"pkg/big.py": [(3000, 3004)]})
    _, plain, _ = build_context(repo, issue, 3000)
    _, views, files = build_context(repo, issue, 3000, narrow=pick_late_lines)
    assert files == ["pkg/big.py"]
    v = views[0]
    assert v.truncated and any(a <= 3000 and 3004 <= b for a, b in v.ranges)
    assert not any(p.path == "pkg/big.py" and a <= 3000 <= b for p in plain for a, b in p.ranges)


def _cli(args):
    from dsfix.agent.cli import app
    return CliRunner().invoke(app, args)


def test_cli_without_model_constructs_no_model(repo, tmp_path, monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("a model was constructed")
    monkeypatch.setattr(LitellmModel, "__init__", refuse)
    issue = tmp_path / "issue.md"
    issue.write_text(ISSUE)
    r = _cli(["localize", str(repo), "--issue-file", str(issue), "--json"])
    assert r.exit_code == 0, r.output
    assert set(json.loads(r.output)) == {"files", "symbols"}


def test_cli_with_model_adds_line_ranges_and_model_totals(repo, tmp_path):
    issue = tmp_path / "issue.md"
    issue.write_text(ISSUE)
    name = script(tmp_path / "answers.json", ["pkg/parser.py", "ConfigParser.parse_line", "13-14"])
    r = _cli(["localize", str(repo), "--issue-file", str(issue), "--json", "--model", name])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["files"][0] == "pkg/parser.py"
    assert data["symbols"][0] == {"file": "pkg/parser.py", "name": "ConfigParser.parse_line", "start": 11, "end": 15}
    assert data["line_ranges"] == {"pkg/parser.py": [[13, 14]]}
    assert {k: data["model"][k] for k in ("calls", "cost")} == {"calls": 3, "cost": None}   # no price: unknown
    assert data["model"]["prompt_tokens"] > 0 and data["model"]["completion_tokens"] > 0


def test_narrowing_defaults_off_only_for_the_scripted_replay():
    from dsfix.agent.run import _narrower
    assert Settings().localize.narrow is None
    assert _narrower(Settings(model={"name": "scripted/x.json"}), None, None, None) is None
    assert _narrower(Settings(model={"name": "deepseek/deepseek-coder"}), None, None, None) is not None
    assert _narrower(Settings(model={"name": "scripted/x.json"}, localize={"narrow": True}), None, None, None)


def test_fix_loop_records_narrowing_outside_the_conversation(tmp_path):
    """run_fix in the local environment, narrowing on, with the inventory replay prefixed by three
    recorded narrowing answers (scripted model, not a real one)."""
    from conftest import REPLAY, make_repo
    from dsfix.agent.config import load_settings
    from dsfix.agent.run import FixRequest, run_fix
    repo = make_repo(tmp_path / "inventory")
    answers = ["inventory/batching.py", "inventory/batching.py: batches",
               "inventory/batching.py:9-10"] + json.loads(REPLAY.read_text())["responses"]
    name = script(tmp_path / "replay.json", answers)
    price = {"input": 1.0, "output": 2.0}
    settings = load_settings(repo, None, {"model": {"name": name, "price": price}, "env": {"kind": "local"},
                                          "localize": {"narrow": True}}, environ={})
    code, rep = run_fix(FixRequest(repo, (repo / "ISSUE.md").read_text(), tmp_path / "out", settings))
    assert code == 0 and rep["status"] == "verified"
    assert rep["steps"] == 4                               # the loop's steps; narrowing is not one
    events = [json.loads(x) for x in (tmp_path / "out" / "trajectory.jsonl").read_text().splitlines()]
    stages = [e for e in events if e["type"] == "narrow"]
    assert [s["stage"] for s in stages] == ["files", "symbols", "lines"] and not any(s["fallback"] for s in stages)
    assert rep["tokens"]["prompt"] > sum(s["prompt_tokens"] for s in rep["step_log"])   # narrowing is paid for
    # a batch's live budget reads the trajectory: each call's cost is there exactly once
    from dsfix.agent.batch.budget import live_cost
    assert live_cost(tmp_path / "out" / "trajectory.jsonl") == pytest.approx(rep["cost_usd"])
    narrowed = next(e for e in events if e["type"] == "narrowed")
    assert narrowed["line_ranges"] == {"inventory/batching.py": [[9, 10]]}
    # the loop's first call saw only its own conversation (scripted usage = characters / 4)
    loop_msgs = [e for e in events if e["type"] == "message" and not e.get("phase", "").startswith("narrow")]
    first_reply = next(i for i, e in enumerate(loop_msgs) if e["role"] == "assistant")
    sent = sum(len(e["content"]) for e in loop_msgs[:first_reply])
    assert rep["step_log"][0]["prompt_tokens"] == sent // 4


def test_cli_with_model_and_a_bad_setting_exits_2_in_one_line(repo, tmp_path, capsys, monkeypatch):
    from dsfix.agent.localize_command import localize_command
    monkeypatch.setenv("DSFIX_LOCALIZE__NARROW_TOKENS", "10")
    issue = tmp_path / "issue.md"
    issue.write_text(ISSUE)
    assert localize_command(repo, issue, 5, True, model=script(tmp_path / "a.json", ["x"])) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "narrow_tokens" in err and "\n" not in err
