"""A GitHub token goes only to the GitHub API host the user configured (--github-api,
GITHUB_API_URL, else api.github.com), never to a host named by an issue URL, a pagination link,
a redirect or the repository's clone URL.

Two real HTTP servers on loopback: `tests/ghfake.py` is the configured GitHub; `Elsewhere` is any
other host and records every connection and every Authorization header it is sent."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clirun import dsfix
from conftest import git, make_repo
from ghfake import FakeGitHub
from test_github_flow import standin_run
from dsfix.tools.github import GitHubError, NotFoundError, fix_issue_url

TOKEN = "ghs_faketoken123456"
SLUG = "acme/inv"


class Elsewhere:
    """A host nobody configured: counts connections, records (method, path, Authorization)."""

    def __init__(self):
        self.connections, self.requests = 0, []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def _any(self):
                outer.requests.append((self.command, self.path, self.headers.get("Authorization")))
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
            do_GET = do_POST = do_PATCH = _any

        class S(ThreadingHTTPServer):
            def get_request(self):
                outer.connections += 1
                return super().get_request()
        self.server = S(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.host = self.url.removeprefix("http://")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def auth_seen(self) -> list:
        return [a for _, _, a in self.requests if a]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hosts(tmp_path):
    src = make_repo(tmp_path / "src")
    git(src, "branch", "-M", "main")
    other = Elsewhere()
    with FakeGitHub(tmp_path / "remote", token=TOKEN) as gh:
        gh.add_repo(SLUG, src)
        gh.add_issue(SLUG, 7, "batches() drops the last partial batch", "the last batch is lost")
        yield gh, other
    other.close()


def configured(gh) -> dict:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": gh.url, "PATH": "/usr/bin:/bin"}


def repo_json(gh, **changes) -> dict:
    return {"full_name": SLUG, "default_branch": "main", "archived": False,
            "clone_url": f"{gh.url}/git/{SLUG}.git", "permissions": {"push": True}, **changes}


def test_issue_url_on_another_host_is_refused_before_any_connection(hosts, tmp_path):
    gh, other = hosts
    url = f"http://{other.host}/{SLUG}/issues/7"
    r = dsfix("fix", url, "--out", str(tmp_path / "out"), env={"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": ""})
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "--github-api" in lines[0] and TOKEN not in r.stderr
    assert other.connections == 0 and gh.log == []


def test_issue_url_host_is_ignored_when_the_api_is_configured(hosts, tmp_path):
    gh, other = hosts
    run = standin_run()
    res = fix_issue_url(f"http://{other.host}/{SLUG}/issues/7", open_pr=False, branch=None, run=run,
                        out=tmp_path / "out", environ=configured(gh))
    assert res.exit_code == 0 and run.calls
    assert other.connections == 0
    assert all(auth == f"Bearer {TOKEN}" for _, _, auth in gh.log)


def test_clone_url_on_another_host_gets_no_token(hosts, tmp_path):
    gh, other = hosts
    gh.fail("GET", f"/repos/{SLUG}", 200, times=-1, **repo_json(gh, clone_url=f"{other.url}/{SLUG}.git"))
    run = standin_run()
    with pytest.raises(GitHubError) as e:
        fix_issue_url(f"https://github.com/{SLUG}/issues/7", open_pr=False, branch=None, run=run,
                      out=tmp_path / "out", environ=configured(gh))
    assert other.auth_seen() == [] and other.requests == [] and not run.calls
    assert "not on the configured GitHub host" in str(e.value)


def test_pagination_link_to_another_host_is_not_followed(hosts, tmp_path):
    gh, other = hosts
    gh.fail("GET", f"/repos/{SLUG}/issues/7/comments", 200, times=-1,
            headers={"Link": f'<{other.url}/repos/{SLUG}/issues/7/comments?page=2>; rel="next"'})
    with pytest.raises(GitHubError) as e:
        fix_issue_url(f"https://github.com/{SLUG}/issues/7", open_pr=False, branch=None, run=standin_run(),
                      out=tmp_path / "out", environ=configured(gh))
    assert other.auth_seen() == [] and other.connections == 0
    assert "does not follow it" in str(e.value)


def test_api_redirect_to_another_host_drops_the_token(hosts, tmp_path):
    gh, other = hosts
    gh.fail("GET", f"/repos/{SLUG}", 302, headers={"Location": f"{other.url}/repos/{SLUG}"})
    with pytest.raises(NotFoundError):
        fix_issue_url(f"https://github.com/{SLUG}/issues/7", open_pr=False, branch=None, run=standin_run(),
                      out=tmp_path / "out", environ=configured(gh))
    assert [p for _, p, _ in other.requests] == [f"/repos/{SLUG}"]    # followed, but without the token
    assert other.auth_seen() == []


def test_git_redirect_to_another_host_gets_no_token(hosts, tmp_path):
    gh, other = hosts
    # The configured host moved the repository: its git URL answers with a redirect elsewhere.
    gh.fail("GET", f"/moved/{SLUG}.git/info/refs", 302, times=-1,
            headers={"Location": f"{other.url}/{SLUG}.git/info/refs?service=git-upload-pack"})
    gh.fail("GET", f"/repos/{SLUG}", 200, times=-1, **repo_json(gh, clone_url=f"{gh.url}/moved/{SLUG}.git"))
    with pytest.raises(GitHubError, match="git could not clone"):
        fix_issue_url(f"https://github.com/{SLUG}/issues/7", open_pr=False, branch=None, run=standin_run(),
                      out=tmp_path / "out", environ=configured(gh))
    assert other.auth_seen() == []
