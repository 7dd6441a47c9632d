"""The GitHub client on its own: issue URLs, API base and token, and one-line errors from a real loopback
server (tests/ghfake.py) answering as GitHub does."""
from __future__ import annotations

import subprocess
import time

import pytest

from conftest import make_repo
from ghfake import FakeGitHub, rate_limited
from dsfix.tools.github import (AuthError, ForbiddenError, GitHubClient, GitHubError, IssueRef, NotFoundError,
                                RateLimitError, ValidationError, api_base_for, parse_issue_url, token_from_env)
from dsfix.tools.github.gitops import Git, git_env, safe_url
from dsfix.tools.github.render import fence, issue_text

TOKEN = "ghs_faketoken123456"


@pytest.mark.parametrize("url,ref", [
    ("https://github.com/psf/requests/issues/6234", IssueRef("github.com", "psf", "requests", 6234)),
    ("https://github.com/psf/requests/issues/6234/", IssueRef("github.com", "psf", "requests", 6234)),
    ("https://ghe.example.com/team/app.js/issues/1", IssueRef("ghe.example.com", "team", "app.js", 1)),
    ("https://ghe.example.com:8443/a/b/issues/2", IssueRef("ghe.example.com:8443", "a", "b", 2)),
])
def test_parse_issue_url(url, ref):
    assert parse_issue_url(url) == ref


@pytest.mark.parametrize("url", ["https://github.com/psf/requests", "github.com/psf/requests/issues/1",
                                 "https://github.com/psf/requests/issues/abc", "ftp://github.com/a/b/issues/1",
                                 "https://github.com/a/b/issues/1/../2", "https://github.com/psf/requests/pull/5"])
def test_bad_issue_urls_say_what_is_expected(url):
    with pytest.raises(GitHubError) as e:
        parse_issue_url(url)
    assert "issues/N" in str(e.value)


def test_api_base_and_token_from_flag_env_or_github_com():
    gh, ghe = IssueRef("github.com", "a", "b", 1), IssueRef("ghe.corp", "a", "b", 1)
    assert api_base_for(gh, environ={}) == "https://api.github.com"
    with pytest.raises(GitHubError, match=r"--github-api https://ghe.corp/api/v3"):
        api_base_for(ghe, environ={})   # the URL's host is not where the token goes unless configured
    assert api_base_for(ghe, environ={"GITHUB_API_URL": "https://x/api/v3/"}) == "https://x/api/v3"
    assert api_base_for(ghe, "http://127.0.0.1:1", environ={"GITHUB_API_URL": "https://x"}) == "http://127.0.0.1:1"
    assert token_from_env({"GH_TOKEN": "b", "GITHUB_TOKEN": "a"}) == "a"
    assert token_from_env({"GH_TOKEN": "b", "GITHUB_TOKEN": " "}) == "b"
    assert token_from_env({}) is None


@pytest.fixture
def fake(tmp_path):
    with FakeGitHub(tmp_path / "remote", token=TOKEN) as f:
        f.add_repo("o/r", make_repo(tmp_path / "src"))
        f.add_issue("o/r", 1, "t", "b")
        yield f


def one_line(e) -> str:
    s = str(e.value)
    assert "\n" not in s and TOKEN not in s
    return s


def test_401_403_404_422_are_one_line_and_say_what_to_do(fake):
    with pytest.raises(AuthError) as e:
        GitHubClient(fake.url, "nope-nope-nope").get("/repos/o/r", what="read repository o/r")
    assert "401 Bad credentials" in one_line(e) and "GITHUB_TOKEN or GH_TOKEN" in one_line(e)
    c = GitHubClient(fake.url, TOKEN, sleep=lambda s: None)
    fake.fail("POST", "/repos/o/r/issues/1/comments", 403, "Resource not accessible by integration",
              headers={"X-Accepted-GitHub-Permissions": "issues=write"})
    with pytest.raises(ForbiddenError) as e:
        c.post("/repos/o/r/issues/1/comments", {"body": "x"}, what="comment on o/r#1")
    assert "it needs issues=write" in one_line(e) and "permissions:" in one_line(e)
    fake.fail("POST", "/repos/o/r/pulls", 403, "Forbidden", headers={"X-OAuth-Scopes": "read:org",
                                                                      "X-Accepted-OAuth-Scopes": "repo"})
    with pytest.raises(ForbiddenError) as e:
        c.post("/repos/o/r/pulls", {}, what="open the pull request")
    assert "needs repo (the token has scopes: read:org)" in one_line(e)
    with pytest.raises(NotFoundError) as e:
        c.get("/repos/o/nope", what="read repository o/nope")
    assert "404" in one_line(e) and "read repository o/nope" in one_line(e)
    fake.fail("POST", "/repos/o/r/pulls", 422, "Validation Failed",
              errors=[{"resource": "PullRequest", "code": "custom", "message": "No commits between main and x"},
                      {"resource": "PullRequest", "field": "head", "code": "invalid"}])
    with pytest.raises(ValidationError) as e:
        c.post("/repos/o/r/pulls", {}, what="open the pull request")
    assert "(422): No commits between main and x; PullRequest head invalid" in one_line(e)


def test_rate_limit_waits_until_reset_bounded(fake):
    waits = []
    c = GitHubClient(fake.url, TOKEN, sleep=waits.append)
    fake.fail("GET", "/repos/o/r", 403, "API rate limit exceeded", headers=rate_limited(3))
    assert c.get("/repos/o/r")["full_name"] == "o/r" and len(waits) == 1 and 2 <= waits[0] <= 5
    fake.fail("GET", "/repos/o/r", 403, "API rate limit exceeded", headers=rate_limited(3600))
    t0 = time.monotonic()
    with pytest.raises(RateLimitError) as e:
        c.get("/repos/o/r", what="read repository o/r")
    assert "resets in" in one_line(e) and "rerun later" in one_line(e) and time.monotonic() - t0 < 5
    assert len(waits) == 1   # no pointless wait for an hour-long reset
    fake.fail("GET", "/repos/o/r", 429, "You have exceeded a secondary rate limit", times=-1,
              headers={"Retry-After": "7"})
    with pytest.raises(RateLimitError):
        c.get("/repos/o/r")
    assert waits[1:] == [7.0, 7.0, 7.0]


def test_pagination_follows_link_headers(fake):
    for i in range(230):
        fake.add_comment("o/r", 1, f"c{i}")
    c = GitHubClient(fake.url, TOKEN)
    got = list(c.paginate("/repos/o/r/issues/1/comments"))
    assert [x["body"] for x in got] == [f"c{i}" for i in range(230)]
    assert len(list(c.paginate("/repos/o/r/issues/1/comments", limit=50))) == 50


def test_unreachable_api_says_which_setting_to_check():
    with pytest.raises(GitHubError, match="cannot reach the GitHub API at http://127.0.0.1:9.*--github-api"):
        GitHubClient("http://127.0.0.1:9", TOKEN, timeout=5).get("/repos/o/r")


def test_git_gets_the_token_only_as_a_scoped_header(tmp_path, fake):
    env = git_env("https://github.com/o/r.git", TOKEN)
    assert env["GIT_CONFIG_KEY_1"] == "http.https://github.com/.extraheader"
    assert env["GIT_CONFIG_VALUE_1"].startswith("Authorization: Basic ") and TOKEN not in env["GIT_CONFIG_VALUE_1"]
    assert safe_url(f"https://x-access-token:{TOKEN}@github.com/o/r.git") == "https://github.com/o/r.git"
    # A real clone over HTTP: the token is not in the remote URL or the clone's config.
    g = Git(f"{fake.url}/git/o/r.git", TOKEN)
    g.clone(tmp_path / "c", "main")
    assert TOKEN not in (tmp_path / "c" / ".git" / "config").read_text()
    # A wrong token: git's error is one line, without the token.
    bad = Git(f"{fake.url}/git/o/r.git", "wrong-token-value")
    with pytest.raises(GitHubError) as e:
        bad.clone(tmp_path / "d", "main")
    assert "git could not clone" in str(e.value) and "wrong-token-value" not in str(e.value)
    assert "\n" not in str(e.value)


def test_issue_text_leaves_out_dsfix_comments_and_bounds_size():
    ref = IssueRef("github.com", "o", "r", 3)
    comments = [{"body": "<!-- dsfix:status -->\nold status", "user": {"login": "bot"}},
                {"body": "/dsfix", "user": {"login": "m"}},
                {"body": "x" * 10000, "user": {"login": "long"}},
                {"body": "real info", "user": {"login": "bob"}}]
    text = issue_text({"title": "T", "body": "B", "labels": [{"name": "dsfix"}, {"name": "bug"}]}, comments, ref)
    assert text.startswith("# T\n\n(GitHub issue o/r#3)\n\nLabels: bug\n\nB")
    assert "old status" not in text and "@m" not in text and "real info" in text and "[... cut ...]" in text
    assert issue_text({"title": "T", "body": None}, [], ref).count("(no description)") == 1


def test_fence_cannot_be_broken_out_of():
    text = "a\n```\n<script>\n````x"
    f = fence(text)
    assert f.startswith("`````\n") and f.endswith("\n`````")


def test_redirect_to_another_host_drops_the_token():
    import urllib.request
    from dsfix.tools.github.api import _NoRedirectToOtherHost
    h = _NoRedirectToOtherHost()
    req = urllib.request.Request("https://api.github.com/x", headers={"Authorization": "Bearer t"})
    new = h.redirect_request(req, None, 302, "Found", {}, "https://evil.example/x")
    assert not new.has_header("Authorization")
    same = h.redirect_request(req, None, 302, "Found", {}, "https://api.github.com/y")
    assert same.has_header("Authorization")
    for other in ("http://api.github.com/x", "https://api.github.com:8443/x"):   # no TLS, another port
        assert not h.redirect_request(req, None, 302, "Found", {}, other).has_header("Authorization")


def test_git_is_not_asked_for_a_password(tmp_path, fake):
    """No token and a remote that wants one: git fails at once instead of prompting."""
    g = Git(f"{fake.url}/git/o/r.git", None)
    t0 = time.monotonic()
    with pytest.raises(GitHubError):
        g.clone(tmp_path / "x", "main")
    assert time.monotonic() - t0 < 30
    assert subprocess.run(["git", "--version"], capture_output=True).returncode == 0
