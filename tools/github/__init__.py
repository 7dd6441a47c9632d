"""dsfix.tools.github: from a GitHub issue URL to a pull request (or a comment that explains why not).

    code, report = github_fix(url, run=run, out=out_dir, open_pr=True, branch=None, github_api=None)

`run(repo_dir, issue_text, out_dir) -> (exit_code, report)` is the loop (a wrapper around `run_fix`).
Errors are `GitHubError` subclasses with one-line messages that say what to do. See docs/github.md.
"""
from .api import (AuthError, ForbiddenError, GitHubClient, GitHubError, IssueRef, NotFoundError, RateLimitError,
                  ValidationError, api_base_for, parse_issue_url, token_from_env)
from .flow import Result, default_out_name, fix_issue_url, github_fix

__all__ = ["AuthError", "ForbiddenError", "GitHubClient", "GitHubError", "IssueRef", "NotFoundError",
           "RateLimitError", "Result", "ValidationError", "api_base_for", "default_out_name", "fix_issue_url",
           "github_fix", "parse_issue_url", "token_from_env"]
