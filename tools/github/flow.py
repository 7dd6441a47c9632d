"""From an issue URL to a pull request (or an explaining comment).

Order, chosen so that a failure leaves nothing half done and a rerun recovers:

1. read: the repository, the issue and its comments (token, access and URL problems surface here,
   before any model call is paid for);
2. with --open-pr, check the branch: absent, or made by dsfix for this same issue (its tip commit
   carries the `dsfix-issue: OWNER/REPO#N` trailer); any other branch of that name is never overwritten;
3. clone the default branch shallowly, run the loop (`run`), read patch.diff and report.json;
4. verified: commit on the branch, force-push it, then update the open PR whose head is that branch or
   open one. If the PR step fails, the push is undone (the branch is deleted when this run created it,
   else reset to its previous commit) and the error says what to do;
5. not verified (or the run could not start): create or edit dsfix's single status comment on the
   issue (found by a hidden marker); nothing is pushed. After a success, an earlier status comment
   is edited to point at the PR.
"""
from __future__ import annotations

import json
import os
import tempfile
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from dsfix.common.atomic import write_atomic

from .api import (AuthError, ForbiddenError, GitHubClient, GitHubError, IssueRef, NotFoundError,
                  api_base_for, clone_url_for, git_origins, origin, parse_issue_url, token_from_env)
from .gitops import Git, valid_branch
from .render import (COMMENT_MARKER, error_comment, failure_comment, issue_text, pr_body, success_comment, trailer)

RunFn = Callable[[Path, str, Path], "tuple[int, dict]"]


@dataclass
class Result:
    exit_code: int
    report: dict
    issue: str
    branch: str | None = None
    commit: str | None = None
    pr_url: str | None = None
    pr_number: int | None = None
    pr_created: bool = False
    comment_url: str | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        d = asdict(self)
        d.pop("report")
        return d


@dataclass
class _Target:
    """Where one run reads and writes on GitHub, decided before the clone."""
    gh: GitHubClient
    r: str                      # /repos/OWNER/REPO
    ref: IssueRef
    branch: str
    default: str
    trajectory: str             # where the comment and PR say the trajectory is
    redact: Callable[[str], str]
    mine: dict | None = None    # dsfix's earlier status comment
    old_sha: str | None = None  # the branch's tip before this run (None: no branch yet)


def fix_issue_url(url: str, *, open_pr: bool, branch: str | None, run: RunFn, out: Path,
                  github_api: str | None = None, token: str | None = None, client: GitHubClient | None = None,
                  workdir: Path | None = None, trajectory_url: str | None = None,
                  progress: Callable[[str], None] = lambda m: None, environ: dict | None = None) -> Result:
    env = dict(os.environ if environ is None else environ)
    ref = parse_issue_url(url)
    branch = branch or f"dsfix/issue-{ref.number}"
    if not valid_branch(branch):
        raise GitHubError(f"--branch {branch!r} is not a valid git branch name")
    token = token or token_from_env(env)
    if open_pr and not token:
        raise AuthError("--open-pr needs a token: set GITHUB_TOKEN or GH_TOKEN (in a workflow: "
                        "`env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`)")
    gh = client or GitHubClient(api_base_for(ref, github_api, env), token)
    r = f"/repos/{ref.owner}/{ref.repo}"
    progress(f"reading {ref}")
    repo, issue, comments = _read_issue(gh, r, ref)
    t = _Target(gh, r, ref, branch, repo.get("default_branch") or "main",
                _trajectory_location(trajectory_url, env, out), _redactor(env, token))
    result = Result(0, {}, str(ref), branch=branch if open_pr else None)
    if issue.get("state") == "closed":
        result.warnings.append(f"{ref} is closed")
    if open_pr:
        _check_can_write(repo, ref, branch, t.default)
        t.old_sha = _own_branch_sha(gh, r, ref, branch)
    t.mine = _own_comment(comments, _viewer(gh) if open_pr else None)
    with tempfile.TemporaryDirectory(prefix="dsfix-gh-", dir=workdir) as tmp:
        clone = Path(tmp) / ref.repo
        git = Git(_clone_url(repo, gh.base, ref, token), token)
        progress(f"cloning {ref.slug} ({t.default})")
        git.clone(clone, t.default)
        progress("running dsfix")
        try:
            code, report = run(clone, issue_text(issue, comments, ref), out)
        except Exception as e:
            if open_pr:
                msg = t.redact(str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__)
                _upsert_comment(gh, r, ref, t.mine, error_comment(ref, msg, t.trajectory), result)
            raise
        result.exit_code, result.report = code, report
        patch_file = out / "patch.diff"
        patch = patch_file.read_text() if patch_file.is_file() else ""
        if code == 0 and not patch.strip():
            result.exit_code = 1
            result.warnings.append("the run reported success but patch.diff is empty")
        if open_pr and result.exit_code == 0:
            progress(f"pushing {branch} and opening the pull request")
            _publish_fix(t, git, clone, issue, patch_file, patch, result)
        elif open_pr:
            progress("commenting on the issue")
            _upsert_comment(gh, r, ref, t.mine, t.redact(failure_comment(ref, report, t.trajectory, branch)), result)
    result.report = _record(out, result)
    return result


def _read_issue(gh: GitHubClient, r: str, ref: IssueRef) -> tuple[dict, dict, list[dict]]:
    """The repository, the issue and its comments; token, access and URL problems surface here,
    before any model call is paid for."""
    repo = gh.get(r, what=f"read repository {ref.slug}")
    issue = gh.get(f"{r}/issues/{ref.number}", what=f"read issue {ref}")
    if issue.get("pull_request"):
        raise GitHubError(f"{ref} is a pull request, not an issue; give an issue URL")
    comments = list(gh.paginate(f"{r}/issues/{ref.number}/comments", what=f"read the comments of {ref}", limit=300))
    return repo, issue, comments


def _publish_fix(t: _Target, git: Git, clone: Path, issue: dict, patch_file: Path, patch: str, result: Result) -> None:
    """A verified patch: commit it on dsfix's branch, push, open (or update) the PR, and point an
    earlier status comment at it."""
    ref, report = t.ref, result.report
    message = t.redact(f"Fix #{ref.number}: {issue.get('title', '')}".strip()[:200] + "\n\n" +
                       f"{report.get('message', '')}\n\n{trailer(ref)}\n")
    result.commit = git.commit_patch(clone, patch_file, t.branch, message)
    body = t.redact(pr_body(ref, report, patch, t.trajectory))
    title = t.redact(f"Fix #{ref.number}: {issue.get('title', '')}".strip()[:250])
    _push_and_open_pr(t.gh, git, t.r, ref, clone, t.branch, t.default, t.old_sha, title, body, result)
    if t.mine:  # an earlier failure comment now points at the fix
        try:
            _upsert_comment(t.gh, t.r, ref, t.mine, t.redact(success_comment(ref, result.pr_url, report)), result)
        except GitHubError as e:
            result.warnings.append(f"could not update the earlier status comment: {e}")


def github_fix(url: str, *, run: RunFn, out: Path, open_pr: bool = False, branch: str | None = None,
               github_api: str | None = None, progress: Callable[[str], None] = lambda m: None,
               **kw) -> tuple[int, dict]:
    """The CLI entry: `dsfix fix URL [--open-pr] [--branch NAME] [--github-api URL]`.

    Returns (exit code, report with a "github" section); raises GitHubError (one line) on GitHub/git
    problems, which the CLI prints and exits 2 with."""
    res = fix_issue_url(url, open_pr=open_pr, branch=branch, run=run, out=out, github_api=github_api,
                        progress=progress, **kw)
    return res.exit_code, res.report


def default_out_name(url: str) -> str:
    ref = parse_issue_url(url)
    return f"{ref.owner}-{ref.repo}-{ref.number}"


# -- steps ------------------------------------------------------------------------------------------
def _check_can_write(repo: dict, ref: IssueRef, branch: str, default: str) -> None:
    if repo.get("archived"):
        raise ForbiddenError(f"{ref.slug} is archived: nothing can be pushed to it; unarchive it first")
    perms = repo.get("permissions")
    if isinstance(perms, dict) and not (perms.get("push") or perms.get("admin") or perms.get("maintain")):
        raise ForbiddenError(f"the token cannot push to {ref.slug} (repository permissions: no push): use a token "
                             f"with write access (workflow: `permissions: contents: write`); dsfix does not "
                             f"push to forks")
    if branch == default:
        raise GitHubError(f"--branch {branch} is the default branch; dsfix only pushes to its own branch")


def _own_branch_sha(gh: GitHubClient, r: str, ref: IssueRef, branch: str) -> str | None:
    """The branch's current commit when dsfix made it for this issue; None when absent; error otherwise."""
    try:
        got = gh.get(f"{r}/git/ref/heads/{urllib.parse.quote(branch)}", what=f"look up branch {branch}")
    except NotFoundError:
        return None
    sha = (got.get("object") or {}).get("sha") if isinstance(got, dict) else None
    if not sha:  # a list answer means only a prefix matched: the branch itself does not exist
        return None
    commit = gh.get(f"{r}/git/commits/{sha}", what=f"read the tip of branch {branch}")
    if trailer(ref) not in (commit.get("message") or ""):
        raise GitHubError(f"branch {branch} already exists and was not made by dsfix for {ref}; dsfix will not "
                          f"overwrite it: pass another --branch, or delete that branch")
    return sha


def _push_and_open_pr(gh, git, r, ref, clone, branch, default, old_sha, title, body, result) -> None:
    git.force_push(clone, branch)
    try:
        head = f"{ref.owner}:{branch}"
        open_prs = gh.get(f"{r}/pulls?state=open&head={urllib.parse.quote(head)}", what="find dsfix's pull request")
        if open_prs:
            pr = gh.patch(f"{r}/pulls/{open_prs[0]['number']}", {"title": title, "body": body},
                          what=f"update pull request #{open_prs[0]['number']}")
        else:
            pr = gh.post(f"{r}/pulls", {"title": title, "head": branch, "base": default, "body": body,
                                         "maintainer_can_modify": True}, what="open the pull request")
            result.pr_created = True
    except GitHubError as e:
        undo = _undo_push(gh, r, branch, old_sha)
        raise type(e)(f"{e} [{undo}; rerun dsfix after fixing this]", e.status) from None
    result.pr_url, result.pr_number = pr.get("html_url"), pr.get("number")


def _undo_push(gh, r, branch, old_sha) -> str:
    path = f"{r}/git/refs/heads/{urllib.parse.quote(branch)}"
    try:
        if old_sha is None:
            gh.delete(path, what=f"delete branch {branch}")
            return f"the pushed branch {branch} was deleted again"
        gh.patch(path, {"sha": old_sha, "force": True}, what=f"reset branch {branch}")
        return f"branch {branch} was reset to its previous commit {old_sha[:12]}"
    except GitHubError as e:
        return f"branch {branch} was pushed but could not be undone ({e})"


def _clone_url(repo: dict, api_base: str, ref: IssueRef, token: str | None) -> str:
    """The API's clone URL, refused when it would take the token to a host the user did not configure."""
    url = repo.get("clone_url") or clone_url_for(api_base, ref.slug)
    if token and origin(url) not in git_origins(api_base):
        raise GitHubError(f"the clone URL of {ref.slug} ({origin(url)}) is not on the configured GitHub host "
                          f"({api_base}): dsfix does not send your token there; check --github-api / GITHUB_API_URL")
    return url


def _viewer(gh: GitHubClient) -> str | None:
    """The token's login; None for app/Actions tokens that cannot read /user."""
    try:
        return (gh.get("/user", what="read the token's user") or {}).get("login")
    except GitHubError:
        return None


def _own_comment(comments: list[dict], me: str | None) -> dict | None:
    """dsfix's earlier status comment: the marker, written by this token's user or by a bot account
    (someone else pasting the marker cannot make dsfix overwrite their comment)."""
    for c in reversed(comments):
        user = c.get("user") or {}
        if COMMENT_MARKER in (c.get("body") or "") and (
                (me and user.get("login") == me) or (not me and user.get("type") == "Bot")):
            return c
    return None


def _upsert_comment(gh, r, ref, mine, body, result) -> None:
    if mine:
        c = gh.patch(f"{r}/issues/comments/{mine['id']}", {"body": body}, what="update dsfix's comment")
    else:
        c = gh.post(f"{r}/issues/{ref.number}/comments", {"body": body}, what=f"comment on {ref}")
    result.comment_url = (c or {}).get("html_url")


def _trajectory_location(url: str | None, env: dict, out: Path) -> str:
    if url:
        return url
    if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
        server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
        run = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
        name = env.get("DSFIX_ARTIFACT_NAME", "dsfix-run")
        return f"artifact `{name}` of workflow run {run}"
    return f"`{out / 'trajectory.jsonl'}` on the machine that ran dsfix"


def _redactor(env: dict, token: str | None):
    from dsfix.common.redact import Redactor
    red = Redactor({**env, **({"DSFIX_GITHUB_TOKEN": token} if token else {})})
    return red.text


def _record(out: Path, result: Result) -> dict:
    """Add the GitHub outcome to report.json."""
    report = dict(result.report or {})
    report["github"] = result.summary()
    path = out / "report.json"
    if path.parent.is_dir():
        write_atomic(path, json.dumps(report, indent=2, default=str))
    return report
