"""Every command that takes a repository answers the same bad REPO the same way: one line on
stderr and exit 2, before any work (a folder that is no repository used to localize to nothing
and exit 0, and `dsfix apply` wrote into a plain folder or refused on a bare repository with 1)."""
from __future__ import annotations

import json
import subprocess

import pytest

from clirun import dsfix
from test_cli_errors import one_line_error


@pytest.fixture
def bad(tmp_path):
    """name -> (path, what the error says)"""
    (tmp_path / "a-file").write_text("x\n")
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "a.py").write_text("x = 1\n")
    subprocess.run(["git", "init", "-q", "--bare", str(tmp_path / "bare.git")], check=True)
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / "sub").mkdir()
    (tmp_path / "issue.md").write_text("x is wrong\n")
    (tmp_path / "p.diff").write_text("--- a/a.py\n+++ b/a.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n")
    return {"missing": (tmp_path / "missing", "not a directory"), "file": (tmp_path / "a-file", "not a directory"),
            "plain": (plain, "not a git repository"), "bare": (tmp_path / "bare.git", "bare git repository"),
            "subdir": (repo / "sub", "inside the git repository"), "gitdir": (repo / ".git", "git directory")}


COMMANDS = {
    "localize": lambda p, t: ["localize", str(p), "--issue-file", str(t / "issue.md")],
    "localize --prompt": lambda p, t: ["localize", str(p), "--issue-file", str(t / "issue.md"), "--prompt"],
    "apply": lambda p, t: ["apply", str(p), str(t / "p.diff")],
    "apply --json": lambda p, t: ["apply", str(p), str(t / "p.diff"), "--json"],
    "env build": lambda p, t: ["env", "build", str(p)],
    "fix": lambda p, t: ["fix", str(p), "--issue", "x", "--model", "scripted/none", "--out", str(t / "out")],
}


@pytest.mark.parametrize("kind", ["missing", "file", "plain", "bare", "subdir", "gitdir"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_repo_is_one_line_and_exit_2(bad, tmp_path, command, kind):
    path, says = bad[kind]
    r = dsfix(*COMMANDS[command](path, tmp_path), env={"DOCKER_HOST": "unix:///nonexistent.sock"})
    if command == "apply --json":
        assert r.returncode == 2 and says in json.loads(r.stdout)["error"]
    else:
        assert says in one_line_error(r)
    assert (tmp_path / "plain" / "a.py").read_text() == "x = 1\n"   # nothing was applied
    assert not (tmp_path / "out").exists()


def test_eval_output_that_is_a_file_is_bad_input(tmp_path):
    (tmp_path / "ds.json").write_text(json.dumps([{"instance_id": "a__b-1", "repo": "a/b", "base_commit": "x",
                                                   "problem_statement": "p", "version": "1", "patch": ""}]))
    (tmp_path / "taken").write_text("x\n")
    r = dsfix("eval", "--dataset", str(tmp_path / "ds.json"), "--predictions", "gold", "--output",
              str(tmp_path / "taken"), "--offline")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert "cannot write the evaluation output" in r.stderr


@pytest.mark.parametrize("mirrors", ["missing-dir", "not-json"])
def test_bench_bad_mirrors_stop_before_any_instance(tmp_path, mirrors):
    (tmp_path / "ds.json").write_text(json.dumps([{"instance_id": "a__b-1", "repo": "a/b", "base_commit": "x",
                                                   "problem_statement": "p", "version": "1"}]))
    (tmp_path / "not-json").write_text("mirrors\n")
    out = tmp_path / "bench"
    r = dsfix("bench", "--dataset", str(tmp_path / "ds.json"), "--model", "scripted/none", "--env", "local",
              "--mirrors", str(tmp_path / mirrors), "--output", str(out))
    assert "mirrors" in one_line_error(r)
    assert not (out / "results.jsonl").exists()
