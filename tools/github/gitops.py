"""Clone and push with the token in an HTTP header passed through git's environment.

The token never appears in a remote URL, in `.git/config`, on a command line (`ps`) or in an error
message: git reads `http.<origin>/.extraHeader` from GIT_CONFIG_COUNT/KEY/VALUE (git >= 2.31), scoped to
the clone URL's origin so it is never sent to another host.
"""
from __future__ import annotations

import base64
import os
import subprocess
import urllib.parse
from pathlib import Path

from .api import GitHubError

BOT_NAME = "dsfix"
BOT_EMAIL = "dsfix@users.noreply.github.com"


def git_env(clone_url: str, token: str | None) -> dict[str, str]:
    env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": "",
           "GCM_INTERACTIVE": "never", "LC_ALL": "C"}
    for k in [k for k in env if k.startswith("GIT_CONFIG_")]:
        del env[k]
    cfg = [("credential.helper", "")]  # no stored credentials are consulted or written
    p = urllib.parse.urlsplit(clone_url)
    if token and p.scheme in ("http", "https"):
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        cfg.append((f"http.{p.scheme}://{p.netloc}/.extraheader", f"Authorization: Basic {basic}"))
        cfg.append(("http.followRedirects", "false"))   # the header is bound to this origin, never another
    env["GIT_CONFIG_COUNT"] = str(len(cfg))
    for i, (k, v) in enumerate(cfg):
        env[f"GIT_CONFIG_KEY_{i}"], env[f"GIT_CONFIG_VALUE_{i}"] = k, v
    return env


def safe_url(url: str) -> str:
    """The clone URL without any user:password part (an API could hand one back)."""
    p = urllib.parse.urlsplit(url)
    if p.username or p.password:
        if p.hostname is None:  # `user:password@` and no host (the URL itself is not shown: it holds them)
            raise GitHubError("the clone URL names no host")
        p = p._replace(netloc=p.hostname + (f":{p.port}" if p.port else ""))
    return urllib.parse.urlunsplit(p)


class Git:
    def __init__(self, clone_url: str, token: str | None, secrets: tuple[str, ...] = ()):
        self.url = safe_url(clone_url)
        self.env = git_env(self.url, token)
        self._secrets = tuple(s for s in (token, *secrets) if s)

    def run(self, *args: str, cwd: Path | None = None, what: str) -> str:
        """One git command through gitpython; a failure is a one-line GitHubError with git's last words."""
        import git
        try:
            return git.Git(str(cwd) if cwd else None).execute(["git", *args], env=self.env,
                                                                strip_newline_in_stdout=False)
        except git.GitCommandError as e:
            lines = [ln for ln in str(e.stderr or e.stdout or "").strip().splitlines() if ln.strip()]
            lines = [ln.removeprefix("stderr: ").strip(" '") for ln in lines]
            tail = self.scrub(" / ".join(lines[-3:]))[-400:]
            raise GitHubError(f"git could not {what}: {tail}") from None

    def scrub(self, text: str) -> str:
        for s in self._secrets:
            text = text.replace(s, "[REDACTED]")
            text = text.replace(base64.b64encode(f"x-access-token:{s}".encode()).decode(), "[REDACTED]")
        return text

    def clone(self, dest: Path, branch: str) -> None:
        """A shallow, single-branch clone of `branch` (the default branch)."""
        self.run("clone", "--quiet", "--depth", "1", "--single-branch", "--branch", branch, "--no-tags",
                 self.url, str(dest), what=f"clone {self.url}")

    def commit_patch(self, repo: Path, patch: Path, branch: str, message: str,
                     name: str = BOT_NAME, email: str = BOT_EMAIL) -> str:
        """Apply patch.diff on a fresh local branch and commit it; returns the commit sha."""
        self.run("checkout", "--quiet", "-B", branch, cwd=repo, what=f"create branch {branch}")
        self.run("apply", "--index", "--whitespace=nowarn", str(patch), cwd=repo,
                 what="apply the verified patch to the clone")
        msg_file = repo / ".git" / "DSFIX_COMMIT_MSG"
        msg_file.write_text(message)
        self.run("-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "--quiet", "--no-verify",
                 "-F", str(msg_file), cwd=repo, what="commit the patch")
        return self.run("rev-parse", "HEAD", cwd=repo, what="read the new commit").strip()

    def force_push(self, repo: Path, branch: str) -> None:
        self.run("push", "--quiet", "--force", self.url, f"HEAD:refs/heads/{branch}", cwd=repo,
                 what=f"push branch {branch} (the token needs contents: write)")


def valid_branch(name: str) -> bool:
    r = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True, text=True)
    return r.returncode == 0 and not name.startswith("-")
