import json

import pytest

from dsfix.agent.localize_command import localize_command
from dsfix.tools.localize import repo_map
from dsfix.tools.localize.skeleton import estimate_tokens


pytestmark = pytest.mark.usefixtures("isolated_index_cache")


def test_json_output_shape(repo, tmp_path, capsys):
    issue = tmp_path / "issue.md"
    issue.write_text("`slugify` drops unicode")
    assert localize_command(repo, issue, top_k=3, as_json=True) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"files", "symbols"}
    assert data["files"][0] == "pkg/utils.py" and len(data["files"]) <= 3
    sym = data["symbols"][0]
    assert set(sym) == {"file", "name", "start", "end"}
    assert (sym["file"], sym["name"], sym["start"], sym["end"]) == ("pkg/utils.py", "slugify", 4, 5)


def test_text_output_lists_files_and_spans(repo, tmp_path, capsys):
    issue = tmp_path / "issue.md"
    issue.write_text("render_table ignores width")
    assert localize_command(repo, issue, top_k=5, as_json=False) == 0
    out = capsys.readouterr().out
    assert "pkg/render.py" in out and "pkg/render.py:5-10  render_table" in out


@pytest.mark.parametrize("which", ["repo", "issue"])
def test_bad_input_exits_2_with_one_line_error(repo, tmp_path, capsys, which):
    issue = tmp_path / "issue.md"
    issue.write_text("x")
    args = (tmp_path / "nope", issue) if which == "repo" else (repo, tmp_path / "missing.md")
    assert localize_command(*args, top_k=5, as_json=True) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err


def test_repo_map_is_skeleton_within_budget(repo):
    text = repo_map(repo, ["pkg/parser.py", "pkg/render.py"], max_tokens=2000)
    assert "pkg/parser.py" in text and "11-15 def parse_line(self, line):" in text
    assert "partition" not in text  # no bodies
    small = repo_map(repo, ["pkg/parser.py", "pkg/render.py", "pkg/utils.py"], max_tokens=20)
    assert estimate_tokens(small) <= 20
    assert small.startswith("pkg/parser.py")


def test_repo_map_gives_every_file_its_top_level_before_methods(repo):
    files = ["pkg/parser.py", "pkg/render.py", "pkg/utils.py"]
    text = repo_map(repo, files, max_tokens=90)
    assert estimate_tokens(text) <= 90
    assert all(f in text for f in files)
    assert "def slugify(text):" in text and "def load_config(text):" in text
    assert "more)" in text  # parser's methods did not fit and are counted


def _cli(args):
    from typer.testing import CliRunner
    from dsfix.agent.cli import app
    return CliRunner().invoke(app, args)


def test_prompt_adds_the_first_prompts_windows(repo, tmp_path):
    from dsfix.agent.config import Settings
    from dsfix.agent.context import build_context
    issue = tmp_path / "issue.md"
    issue.write_text("`slugify` drops unicode; render_table ignores width")
    r = _cli(["localize", str(repo), "--issue-file", str(issue), "--json", "--prompt"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert set(data) == {"files", "symbols", "views", "prompt_tokens"}
    assert data["views"] and all(set(v) == {"path", "ranges"} for v in data["views"])
    for v in data["views"]:
        assert v["path"] in data["files"]
        assert all(len(r) == 2 and 1 <= r[0] <= r[1] for r in v["ranges"])
        assert v["ranges"] == sorted(v["ranges"])
    _, views, files = build_context(repo, issue.read_text(), Settings().context_tokens)
    assert data["views"] == [{"path": v.path, "ranges": [list(r) for r in v.ranges]} for v in views]
    assert data["files"] == files
    assert isinstance(data["prompt_tokens"], int) and data["prompt_tokens"] > sum(
        len(v.numbered) for v in views) // 4


def test_prompt_tokens_and_views_are_those_of_the_fix_runs_first_call(tmp_path):
    """run_fix in the local environment with the inventory replay (a scripted model, which
    counts a prompt as characters / 4, as the estimate does)."""
    from clirun import script
    from conftest import REPLAY, make_repo
    from dsfix.agent.config import load_settings
    from dsfix.agent.run import FixRequest, run_fix
    repo = make_repo(tmp_path / "inventory")
    r = _cli(["localize", str(repo), "--issue-file", str(repo / "ISSUE.md"), "--json", "--prompt"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    name = script(tmp_path / "replay.json", json.loads(REPLAY.read_text())["responses"])
    settings = load_settings(repo, None, {"model": {"name": name}, "env": {"kind": "local"}}, environ={})
    code, rep = run_fix(FixRequest(repo, (repo / "ISSUE.md").read_text(), tmp_path / "out", settings))
    assert code == 0
    assert rep["step_log"][0]["prompt_tokens"] == data["prompt_tokens"]
    events = [json.loads(x) for x in (tmp_path / "out" / "trajectory.jsonl").read_text().splitlines()]
    shown = next(e for e in events if e["type"] == "localize")["views"]
    assert shown == data["views"]


def test_prompt_text_output_lists_the_windows(repo, tmp_path):
    issue = tmp_path / "issue.md"
    issue.write_text("render_table ignores width")
    r = _cli(["localize", str(repo), "--issue-file", str(issue), "--prompt"])
    assert r.exit_code == 0, r.output
    assert "First fix prompt (about" in r.output and "pkg/render.py: 1-" in r.output
