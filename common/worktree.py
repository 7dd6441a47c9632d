"""The one answer to "is this path the root of a git working tree?", for every command that takes
REPO (fix, localize, apply, env build): the same bad input gets the same one-line error."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path


class NotAWorkTree(ValueError):
    """REPO is missing, not a directory, not a git repository, bare, or below the repository root."""


def git_env() -> dict[str, str]:
    """The caller's environment for a git command about one working tree: GIT_DIR, GIT_WORK_TREE
    and the like in it must not make git answer for another repository."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def _git(path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(path), "rev-parse", *args], capture_output=True, text=True,
                          env=git_env(), errors="replace")


def work_tree_root(path: Path | str) -> Path:
    """The resolved root of the working tree at ``path``; NotAWorkTree (one line) otherwise."""
    root = Path(path).expanduser()
    if not root.is_dir():
        raise NotAWorkTree(f"not a directory: {root}")
    r = _git(root, "--is-bare-repository", "--is-inside-work-tree")
    answers = r.stdout.split()
    if answers[:1] == ["true"]:
        raise NotAWorkTree(f"{root} is a bare git repository (no working tree): clone it and point dsfix at the clone")
    if r.returncode != 0 and not answers:
        lines = r.stderr.strip().splitlines()
        why = next((ln for ln in lines if ln.startswith("fatal:")), lines[0] if lines else "not a git repository")
        if "not a git repository" in why:
            raise NotAWorkTree(f"not a git repository: {root} (run `git init` there, or point dsfix at the repo root)")
        raise NotAWorkTree(f"{root}: git says: {why.removeprefix('fatal: ')}")
    if answers[1:2] != ["true"]:
        raise NotAWorkTree(f"{root} is inside a git directory, not a working tree: point dsfix at the repo root")
    top = Path(_git(root, "--show-toplevel").stdout.strip()).resolve()
    if top != root.resolve():
        raise NotAWorkTree(f"{root} is inside the git repository {top}; point dsfix at the repo root")
    return top
