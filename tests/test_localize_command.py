import json

import pytest

from dsfix.tools.localize import localize_command, repo_map
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
