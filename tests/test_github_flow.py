"""`fix_issue_url` end to end against tests/ghfake.py: a real HTTP server on loopback speaking GitHub's REST
API, with a local bare repository served over git's smart HTTP protocol as the remote.

The main end-to-end test drives the real loop (`run_fix`, local environment) with the *scripted model*,
a litellm custom provider replaying the recorded answers in examples/inventory.replay.json (not a real
model). The error-path tests use a stand-in `run` that writes a real patch, to stay fast.
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import REPLAY, git, make_repo
from ghfake import FakeGitHub, rate_limited
from dsfix.tools.github import (AuthError, ForbiddenError, GitHubClient, GitHubError, RateLimitError,
                                ValidationError, fix_issue_url, github_fix)
from dsfix.tools.github.render import COMMENT_MARKER

SLUG = "acme/inventory"
URL = f"https://github.com/{SLUG}/issues/7"
BRANCH = "dsfix/issue-7"
TOKEN = "ghs_faketoken123456"
BODY = "batches([1, 2, 3, 4, 5], 2) returns [[1, 2], [3, 4]]: the last partial batch is lost.\n$(touch PWNED) `touch PWNED`"


@pytest.fixture
def gh(tmp_path):
    src = make_repo(tmp_path / "src")
    git(src, "branch", "-M", "main")
    with FakeGitHub(tmp_path / "remote", token=TOKEN) as fake:
        fake.add_repo(SLUG, src)
        fake.add_issue(SLUG, 7, "batches() drops the last partial batch",
                       BODY.replace("PWNED", str(tmp_path / "pwned")), labels=("bug", "dsfix"))
        fake.add_comment(SLUG, 7, "Seen on 1.2 too.", login="alice")
        yield fake


def env_for(fake: FakeGitHub, token: str = TOKEN) -> dict:
    return {"GITHUB_TOKEN": token, "GITHUB_API_URL": fake.url, "PATH": "/usr/bin:/bin"}


def scripted_run(tmp_path: Path):
    """The real loop with the scripted model, in the local environment; a fresh script copy per call."""
    from dsfix.agent.config import load_settings
    from dsfix.agent.run import FixRequest, run_fix
    calls = []

    def run(repo_dir: Path, text: str, out: Path):
        script = tmp_path / f"replay{len(calls)}.json"
        shutil.copy(REPLAY, script)
        calls.append(text)
        settings = load_settings(repo_dir, None, {"model": {"name": f"scripted/{script}"}, "env": {"kind": "local"}},
                                 environ={})
        return run_fix(FixRequest(repo_dir, text, out, settings))
    run.calls = calls
    return run


def standin_run(verified: bool = True, status: str | None = None):
    """Writes a real patch (the right fix) and a report shaped like report.json."""
    calls = []

    def run(repo_dir: Path, text: str, out: Path):
        calls.append((repo_dir, text))
        out.mkdir(parents=True, exist_ok=True)
        target = repo_dir / "inventory" / "batching.py"
        orig = target.read_text()
        target.write_text(orig.replace("len(items) - size + 1, size", "len(items), size"))
        patch = git(repo_dir, "diff")
        target.write_text(orig)
        assert patch
        (out / "patch.diff").write_text(patch if verified else "")
        counts_before, counts_after = {"FAILED": 2, "PASSED": 4}, {"PASSED": 6} if verified else {"FAILED": 2, "PASSED": 4}
        report = {"status": status or ("verified" if verified else "limit_steps"), "verified": verified,
                  "message": "2 failing test(s) now pass, none regressed" if verified else
                  "step limit reached (4 model calls)", "model": "scripted/x", "steps": 4, "attempts": 3,
                  "tokens": {"prompt": 900, "completion": 120, "cache_hit": 0}, "cost_usd": None, "cost_known": False,
                  "tests": {"command": "python -m pytest -rA", "source": "detected",
                            "before": {"counts": counts_before, "exit_code": 1,
                                       "statuses": {"tests/test_batching.py::test_tail": "FAILED"}},
                            "after": {"counts": counts_after, "exit_code": 0 if verified else 1,
                                      "statuses": {"tests/test_batching.py::test_tail": "PASSED" if verified else "FAILED"}}},
                  "reproduction": {"before_exit": 1, "after_exit": 0 if verified else 1}}
        (out / "report.json").write_text(json.dumps(report))
        return (0 if verified else 1), report
    run.calls = calls
    return run


def client(fake, token=TOKEN, **kw) -> GitHubClient:
    kw.setdefault("sleep", lambda s: None)
    return GitHubClient(fake.url, token, **kw)


def no_secret_anywhere(fake: FakeGitHub, out: Path, tmp_path: Path) -> None:
    texts = [p.read_text(errors="replace") for p in out.rglob("*") if p.is_file()]
    texts += [c["body"] for c in fake.comments] + [p["body"] + p["title"] for p in fake.pulls]
    texts += [(fake.repos[SLUG]["bare"] / "config").read_text()]
    assert not any(TOKEN in t for t in texts)


# -- the happy path, with the real loop ---------------------------------------------------------------
def test_issue_to_pull_request_with_the_scripted_model_then_rerun_updates_it(gh, tmp_path):
    run = scripted_run(tmp_path)
    out = tmp_path / "out1"
    res = fix_issue_url(URL, open_pr=True, branch=None, run=run, out=out, environ=env_for(gh))
    assert res.exit_code == 0, res.report.get("message")
    # The model saw the issue: title, labels, body (verbatim: nothing was run through a shell), comments.
    text = run.calls[0]
    assert "batches() drops the last partial batch" in text and "Labels: bug" in text
    assert f"$(touch {tmp_path / 'pwned'})" in text and "Seen on 1.2 too." in text
    assert not (tmp_path / "pwned").exists()
    # The branch holds one commit on top of main: the verified patch, with dsfix's trailer.
    sha = gh.branch_sha(SLUG, BRANCH)
    bare = gh.repos[SLUG]["bare"]
    assert sha == res.commit and git(bare, "rev-parse", f"{sha}^") == git(bare, "rev-parse", "main")
    assert "+    for start in range(0, len(items), size):" in git(bare, "show", sha)
    assert f"dsfix-issue: {SLUG}#7" in git(bare, "log", "-1", "--format=%B", sha)
    assert git(bare, "diff", "main", sha) == (out / "patch.diff").read_text()
    # One PR, whose body says what changed, why, the tests before/after, cost and where the trajectory is.
    assert len(gh.pulls) == 1 and res.pr_created and res.pr_number == gh.pulls[0]["number"]
    pr = gh.pulls[0]
    assert pr["head"]["ref"] == BRANCH and pr["base"]["ref"] == "main"
    assert pr["title"] == "Fix #7: batches() drops the last partial batch"
    body = pr["body"]
    for expected in ("Closes #7.", "`inventory/batching.py` (+1 −1)", "the reproduction now passes and no test regressed",
                     "Test command:", "Before the patch:", "After the patch: 6 passed", "Cost: unknown",
                     "trajectory.jsonl", "```diff"):
        assert expected in body, expected
    # No comment on success (the PR links itself to the issue), and the token went only in a header.
    assert gh.issue_comments(SLUG, 7)[-1]["user"]["login"] == "alice"
    assert all(a and a.startswith("Basic ") for a in gh.git_auth)
    rep = json.loads((out / "report.json").read_text())
    assert rep["status"] == "verified" and rep["github"]["pr_url"] == pr["html_url"]
    no_secret_anywhere(gh, out, tmp_path)

    # Rerun: the same branch is force-pushed, the same PR updated; nothing is duplicated.
    out2 = tmp_path / "out2"
    res2 = fix_issue_url(URL, open_pr=True, branch=None, run=run, out=out2, environ=env_for(gh),
                         trajectory_url="https://example.invalid/run/2")
    assert res2.exit_code == 0 and not res2.pr_created and res2.pr_number == res.pr_number
    assert len(gh.pulls) == 1 and "https://example.invalid/run/2" in gh.pulls[0]["body"]
    assert gh.branch_sha(SLUG, BRANCH) == res2.commit != res.commit
    assert len(gh.issue_comments(SLUG, 7)) == 1


# -- failure: an explaining comment, edited in place ----------------------------------------------------
def test_failed_run_comments_why_and_rerun_edits_the_comment_then_success_points_to_pr(gh, tmp_path):
    out = tmp_path / "out"
    res = fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(verified=False), out=out,
                        environ=env_for(gh), client=client(gh))
    assert res.exit_code == 1 and res.pr_url is None
    mine = [c for c in gh.issue_comments(SLUG, 7) if COMMENT_MARKER in c["body"]]
    assert len(mine) == 1 and res.comment_url == mine[0]["html_url"]
    body = mine[0]["body"]
    for expected in ("could not produce a verified fix", "`limit_steps`", "step limit reached (4 model calls)",
                     "4 model calls", "3 edit attempts", "Before the patch: 2 failed, 4 passed", "Cost: unknown",
                     "trajectory.jsonl", "No branch was pushed", "limits.max_steps"):
        assert expected in body, expected
    assert gh.branch_sha(SLUG, BRANCH) is None and gh.pulls == []
    # Rerun with the same outcome: the same comment is edited.
    res2 = fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(verified=False, status="unverified"),
                         out=tmp_path / "out2", environ=env_for(gh), client=client(gh))
    mine = [c for c in gh.issue_comments(SLUG, 7) if COMMENT_MARKER in c["body"]]
    assert len(mine) == 1 and "`unverified`" in mine[0]["body"] and res2.comment_url == res.comment_url
    assert ("PATCH", f"/repos/{SLUG}/issues/comments/{mine[0]['id']}") in gh.writes()
    # Then a verified run: a PR, and the status comment now points to it.
    res3 = fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(), out=tmp_path / "out3",
                         environ=env_for(gh), client=client(gh))
    assert res3.exit_code == 0 and len(gh.pulls) == 1
    mine = [c for c in gh.issue_comments(SLUG, 7) if COMMENT_MARKER in c["body"]]
    assert len(mine) == 1 and res3.pr_url in mine[0]["body"]


def test_marker_pasted_by_someone_else_is_not_overwritten(gh, tmp_path):
    other = gh.add_comment(SLUG, 7, f"{COMMENT_MARKER} ha", login="mallory")
    fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(verified=False), out=tmp_path / "o",
                  environ=env_for(gh), client=client(gh))
    assert other["body"] == f"{COMMENT_MARKER} ha"
    assert len([c for c in gh.issue_comments(SLUG, 7) if COMMENT_MARKER in c["body"]]) == 2


def test_without_open_pr_nothing_is_written_to_github(gh, tmp_path):
    for verified in (True, False):
        out = tmp_path / f"o{verified}"
        code, report = github_fix(URL, run=standin_run(verified), out=out, github_api=gh.url,
                                  environ=env_for(gh))
        assert code == (0 if verified else 1) and report["github"]["pr_url"] is None
    assert gh.writes() == [] and gh.branch_sha(SLUG, BRANCH) is None


def test_run_that_cannot_start_says_so_on_the_issue(gh, tmp_path):
    def broken(repo_dir, text, out):
        raise RuntimeError(f"Docker engine not reachable (token {TOKEN})\nmore detail")
    with pytest.raises(RuntimeError):
        fix_issue_url(URL, open_pr=True, branch=None, run=broken, out=tmp_path / "o", environ=env_for(gh),
                      client=client(gh))
    mine = [c for c in gh.issue_comments(SLUG, 7) if COMMENT_MARKER in c["body"]]
    assert len(mine) == 1 and "Docker engine not reachable" in mine[0]["body"] and TOKEN not in mine[0]["body"]


# -- errors: clear, and nothing half done -----------------------------------------------------------------
def test_bad_token_is_a_clear_401_before_any_work(gh, tmp_path):
    run = standin_run()
    with pytest.raises(AuthError) as e:
        fix_issue_url(URL, open_pr=True, branch=None, run=run, out=tmp_path / "o",
                      environ=env_for(gh, token="ghp_wrongwrongwrong"))
    msg = str(e.value)
    assert "401" in msg and "GITHUB_TOKEN" in msg and "\n" not in msg and "wrongwrong" not in msg
    assert run.calls == [] and gh.writes() == []


def test_missing_token_with_open_pr_is_refused_up_front(gh, tmp_path):
    with pytest.raises(AuthError, match="GITHUB_TOKEN or GH_TOKEN"):
        fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(), out=tmp_path / "o",
                      environ={"GITHUB_API_URL": gh.url})
    assert gh.log == []


def test_actions_not_permitted_to_create_prs_undoes_the_push_and_rerun_recovers(gh, tmp_path):
    gh.fail("POST", f"/repos/{SLUG}/pulls", 403,
            "GitHub Actions is not permitted to create or approve pull requests.")
    with pytest.raises(ForbiddenError) as e:
        fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(), out=tmp_path / "o", environ=env_for(gh),
                      client=client(gh))
    msg = str(e.value)
    assert "Allow GitHub Actions to create and approve pull requests" in msg and "was deleted again" in msg
    assert gh.branch_sha(SLUG, BRANCH) is None and gh.pulls == []        # nothing half done
    res = fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(), out=tmp_path / "o2",
                        environ=env_for(gh), client=client(gh))
    assert res.pr_created and gh.branch_sha(SLUG, BRANCH) == res.commit


def test_missing_permission_403_names_what_is_needed(gh, tmp_path):
    gh.fail("POST", f"/repos/{SLUG}/pulls", 403, "Resource not accessible by integration",
            headers={"X-Accepted-GitHub-Permissions": "pull_requests=write"})
    with pytest.raises(ForbiddenError, match=r"403 Resource not accessible by integration.*pull_requests=write"):
        fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(), out=tmp_path / "o", environ=env_for(gh),
                      client=client(gh))
    assert gh.branch_sha(SLUG, BRANCH) is None


def test_422_on_update_resets_the_branch_to_its_previous_commit(gh, tmp_path):
    first = fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(), out=tmp_path / "o", environ=env_for(gh),
                          client=client(gh))
    gh.fail("PATCH", rf"/repos/{SLUG}/pulls/\d+", 422, "Validation Failed",
            errors=[{"resource": "PullRequest", "code": "custom", "message": "body is too long (maximum is 65536 characters)"}])
    with pytest.raises(ValidationError) as e:
        fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(), out=tmp_path / "o2", environ=env_for(gh),
                      client=client(gh))
    assert "422" in str(e.value) and "body is too long" in str(e.value) and "reset to its previous commit" in str(e.value)
    assert gh.branch_sha(SLUG, BRANCH) == first.commit


def test_422_pr_already_exists_shows_githubs_message(gh, tmp_path):
    gh.fail("POST", f"/repos/{SLUG}/pulls", 422, "Validation Failed",
            errors=[{"resource": "PullRequest", "code": "custom", "message": f"A pull request already exists for acme:{BRANCH}."}])
    with pytest.raises(ValidationError, match="A pull request already exists for acme:dsfix/issue-7"):
        fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(), out=tmp_path / "o", environ=env_for(gh),
                      client=client(gh))
    assert gh.branch_sha(SLUG, BRANCH) is None


def test_rate_limit_is_waited_out_then_exhaustion_is_a_clear_error(gh, tmp_path):
    waits = []
    gh.fail("GET", f"/repos/{SLUG}/issues/7", 403, "API rate limit exceeded", times=2, headers=rate_limited(2))
    res = fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(), out=tmp_path / "o", environ=env_for(gh),
                        client=client(gh, sleep=waits.append))
    assert res.exit_code == 0 and len(waits) == 2 and all(0 < w <= 4 for w in waits)
    gh.fail("GET", f"/repos/{SLUG}/issues/7", 429, "secondary rate limit", times=-1, headers={"Retry-After": "1"})
    run = standin_run()
    with pytest.raises(RateLimitError, match="rate limit still exhausted after 3 waits"):
        fix_issue_url(URL, open_pr=True, branch=None, run=run, out=tmp_path / "o2", environ=env_for(gh),
                      client=client(gh))
    assert run.calls == []


def test_branch_not_made_by_dsfix_is_never_overwritten(gh, tmp_path):
    bare = gh.repos[SLUG]["bare"]
    git(bare, "branch", "feature", "main")
    run = standin_run()
    with pytest.raises(GitHubError, match="branch feature already exists and was not made by dsfix"):
        fix_issue_url(URL, open_pr=True, branch="feature", run=run, out=tmp_path / "o", environ=env_for(gh),
                      client=client(gh))
    assert run.calls == [] and gh.branch_sha(SLUG, "feature") == gh.branch_sha(SLUG, "main")
    with pytest.raises(GitHubError, match="default branch"):
        fix_issue_url(URL, open_pr=True, branch="main", run=run, out=tmp_path / "o", environ=env_for(gh),
                      client=client(gh))
    res = fix_issue_url(URL, open_pr=True, branch="fix/batches", run=run, out=tmp_path / "o", environ=env_for(gh),
                        client=client(gh))
    assert gh.branch_sha(SLUG, "fix/batches") == res.commit and gh.pulls[0]["head"]["ref"] == "fix/batches"


def test_token_without_push_access_is_refused_before_the_run(gh, tmp_path):
    gh.repo_permissions = {"push": False, "pull": True, "admin": False}
    run = standin_run()
    with pytest.raises(ForbiddenError, match="cannot push"):
        fix_issue_url(URL, open_pr=True, branch=None, run=run, out=tmp_path / "o", environ=env_for(gh),
                      client=client(gh))
    assert run.calls == [] and gh.writes() == []


def test_unknown_issue_is_a_clear_404(gh, tmp_path):
    with pytest.raises(GitHubError, match="404.*private repository"):
        fix_issue_url(URL.replace("/7", "/99"), open_pr=False, branch=None, run=standin_run(), out=tmp_path / "o",
                      environ=env_for(gh), client=client(gh))


def test_actions_token_finds_its_bot_comment(gh, tmp_path):
    """An Actions token cannot read /user: dsfix's own comment is recognised as the Bot's."""
    gh.user_readable, gh.login, gh.user_type = False, "github-actions[bot]", "Bot"
    for _ in range(2):
        fix_issue_url(URL, open_pr=True, branch=None, run=standin_run(verified=False), out=tmp_path / "o",
                      environ=env_for(gh), client=client(gh))
    assert len([c for c in gh.issue_comments(SLUG, 7) if COMMENT_MARKER in c["body"]]) == 1
