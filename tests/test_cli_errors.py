"""Bad input gets a one-line error and exit 2; model failures end the run cleanly (exit 1)."""
from __future__ import annotations

from clirun import dsfix, report, script


def one_line_error(r, code=2):
    assert r.returncode == code, (r.returncode, r.stdout, r.stderr)
    lines = [line for line in r.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), r.stderr
    return lines[0]


def test_not_a_git_repo(tmp_path):
    msg = one_line_error(dsfix("fix", str(tmp_path), "--issue", "x", "--model", "scripted/none"))
    assert "not a git repository" in msg


def test_no_issue_given(buggy_repo):
    assert "no issue given" in one_line_error(dsfix("fix", str(buggy_repo)))
    assert "not found" in one_line_error(dsfix("fix", str(buggy_repo), "--issue-file", "/nope/issue.md"))


def test_bad_config_value(buggy_repo):
    assert "env.kind" in one_line_error(dsfix("fix", str(buggy_repo), "--issue", "x", "--env", "vm"))


def test_docker_unreachable_names_doctor(buggy_repo, tmp_path):
    model = script(tmp_path / "s.json", ["```python\nraise SystemExit(1)\n```"])
    r = dsfix("fix", str(buggy_repo), "--issue", "x", "--model", model, "--out", str(tmp_path / "o"),
              env={"DOCKER_HOST": f"unix://{tmp_path}/no-such.sock"})
    assert "dsfix doctor" in one_line_error(r)


def test_model_error_and_timeout_end_cleanly(buggy_repo, tmp_path):
    for kind, word in (("fatal", "BadRequest"), ("timeout", "Timeout")):
        model = script(tmp_path / f"{kind}.json", [{"error": kind}], then="repeat")
        out = tmp_path / kind
        r = dsfix("fix", str(buggy_repo), "--issue", "x", "--model", model, "--out", str(out), "--env", "local",
                  env={"DSFIX_MODEL__RETRIES": "1", "DSFIX_MODEL__BACKOFF": "0.01"})
        assert r.returncode == 1, r.stderr
        rep = report(out)
        assert rep["status"] == "model_error" and word in rep["message"]


def test_version_and_doctor_without_docker(tmp_path):
    r = dsfix("--version")
    assert r.returncode == 0 and r.stdout.startswith("dsfix ")
    model = script(tmp_path / "s.json", ["pong"])
    nodocker = {"DOCKER_HOST": f"unix://{tmp_path}/no.sock", "COLUMNS": "200"}
    r = dsfix("doctor", "--model", model, env=nodocker)
    assert r.returncode == 1 and "no Docker engine reachable" in r.stdout and "DOCKER_HOST" in r.stdout
    assert "not called" in r.stdout          # a replay is not called unless asked
    r = dsfix("doctor", "--model", model, "--model-check", env=nodocker)
    assert "answered" in r.stdout


def test_doctor_names_a_missing_key_without_calling(tmp_path, monkeypatch):
    monkeypatch.delenv("DEEPSEEK_API_KEY", raising=False)
    r = dsfix("doctor", env={"DOCKER_HOST": f"unix://{tmp_path}/no.sock", "COLUMNS": "250"})
    assert "deepseek/deepseek-v4-flash: DEEPSEEK_API_KEY not set (no call made)" in r.stdout
    assert r.stdout.count("DEEPSEEK_API_KEY") == 2   # the problem once, its one fix line once


def test_flags_that_do_not_fit_the_target(buggy_repo):
    url = "https://github.com/o/r/issues/1"
    assert "brings its own text" in one_line_error(dsfix("fix", url, "--issue", "x"))
    assert "--open-pr" in one_line_error(dsfix("fix", url, "--apply"))
    assert "need an issue URL" in one_line_error(dsfix("fix", str(buggy_repo), "--issue", "x", "--open-pr"))


def test_bare_repository_negative_limits_and_a_used_out_dir(buggy_repo, tmp_path):
    import subprocess
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    assert "bare git repository" in one_line_error(dsfix("fix", str(bare), "--issue", "x"))
    assert "max_steps" in one_line_error(dsfix("fix", str(buggy_repo), "--issue", "x", "--max-steps", "-1"))
    assert "max_cost" in one_line_error(dsfix("fix", str(buggy_repo), "--issue", "x", "--max-cost", "-3"))
    used = tmp_path / "out"
    used.mkdir()
    (used / "trajectory.jsonl").write_text('{"type": "run"}\n')
    msg = one_line_error(dsfix("fix", str(buggy_repo), "--issue", "x", "--model", "scripted/none", "--out", str(used)))
    assert "already holds a run" in msg and (used / "trajectory.jsonl").read_text() == '{"type": "run"}\n'


def test_a_mistyped_spec_parser_stops_before_anything_runs(buggy_repo, tmp_path):
    """--config's typo used to fall back silently to exit codes; the repository's gave a traceback."""
    (tmp_path / "user.yaml").write_text("spec:\n  parser: pytset\n")
    out = tmp_path / "out"
    args = ("--issue", "x", "--model", "scripted/none", "--env", "local", "--out", str(out))
    msg = one_line_error(dsfix("fix", str(buggy_repo), "--config", str(tmp_path / "user.yaml"), *args))
    assert "spec.parser" in msg and "'pytset'" in msg and "'pytest'" in msg and "user.yaml" in msg
    (buggy_repo / "dsfix.yaml").write_text("spec:\n  parser: pytset\n")
    msg = one_line_error(dsfix("fix", str(buggy_repo), *args))
    assert "spec.parser" in msg and "'pytset'" in msg and "'unittest'" in msg and "dsfix.yaml" in msg
    assert not out.exists()   # nothing ran: no trajectory, no report
