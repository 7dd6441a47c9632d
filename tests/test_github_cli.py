"""`dsfix fix ISSUE_URL --open-pr` through the real console script, against tests/ghfake.py (a loopback
GitHub with a bare repository behind git smart HTTP). The model is the *scripted model*, a litellm custom
provider replaying examples/inventory.replay.json (not a real model); the environment is `--env local`."""
from __future__ import annotations

import shutil

import pytest

from clirun import dsfix, report
from conftest import REPLAY, git, make_repo
from ghfake import FakeGitHub

TOKEN = "ghs_faketoken123456"
URL = "https://github.com/acme/inv/issues/7"


@pytest.fixture
def gh(tmp_path):
    src = make_repo(tmp_path / "src")
    git(src, "branch", "-M", "main")
    with FakeGitHub(tmp_path / "remote", token=TOKEN) as fake:
        fake.add_repo("acme/inv", src)
        fake.add_issue("acme/inv", 7, "batches() drops the last partial batch", (src / "ISSUE.md").read_text())
        yield fake


def test_cli_opens_a_pull_request(gh, tmp_path):
    shutil.copy(REPLAY, tmp_path / "replay.json")
    out = tmp_path / "out"
    r = dsfix("fix", URL, "--open-pr", "--github-api", gh.url, "--model", f"scripted/{tmp_path / 'replay.json'}",
              "--env", "local", "--out", str(out), env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": ""})
    assert r.returncode == 0, r.stderr + r.stdout
    assert len(gh.pulls) == 1 and gh.branch_sha("acme/inv", "dsfix/issue-7")
    rep = report(out)
    assert rep["status"] == "verified" and rep["github"]["pr_url"] == gh.pulls[0]["html_url"]
    assert TOKEN not in r.stdout + r.stderr + (out / "trajectory.jsonl").read_text()


def test_cli_bad_token_exits_2_with_one_line(gh, tmp_path):
    r = dsfix("fix", URL, "--open-pr", "--github-api", gh.url, "--out", str(tmp_path / "o"),
              env={"GITHUB_TOKEN": "ghp_not-a-valid-token", "GH_TOKEN": ""})
    assert r.returncode == 2
    err = r.stderr.strip()
    assert err.startswith("error: GitHub rejected the token (401") and "GITHUB_TOKEN" in err
    assert "not-a-valid-token" not in r.stdout + r.stderr and gh.writes() == []
