"""Where a repository's git history comes from, and how to materialize a tree at a commit.

By default ``https://github.com/OWNER/REPO`` is cloned (bare) into dsfix's cache and fetched again
when a commit is missing. Local mirrors replace the network:

* ``mirrors=DIR``: bare repositories named ``OWNER__REPO.git`` (``OWNER__REPO`` is accepted too);
* ``mirrors=FILE.json``: ``{"OWNER/REPO": "/path/to/git/dir", ...}`` (bare or not).

A tree is materialized with ``git archive`` (``archive``), or a bare clone sharing the source's
objects by hard links is made for a Docker build context (``clone_bare``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

from .base import EnvError
from .images import cache_dir

GITHUB = "https://github.com/{repo}.git"
_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class SourceError(EnvError):
    """A repository or commit cannot be found."""


def _git(*args: str, cwd: Path | None = None, check: bool = True, timeout: int = 1800) -> subprocess.CompletedProcess:
    r = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                       env={**os.environ, "GIT_TERMINAL_PROMPT": "0"})
    if check and r.returncode != 0:
        raise SourceError(f"git {' '.join(args[:3])} failed ({r.returncode}): {r.stderr.strip()[-800:]}")
    return r


def _check_repo(repo: str) -> str:
    if not _REPO_RE.match(repo) or ".." in repo:
        raise SourceError(f"not an OWNER/REPO name: {repo!r}")
    return repo


class Sources:
    """Git dirs for ``OWNER/REPO`` names, from mirrors or (when allowed) GitHub."""

    def __init__(self, mirrors: str | Path | None = None, *, online: bool = True,
                 cache: Path | None = None, url: str = GITHUB):
        self.online, self.url = online, url
        self.cache = Path(cache) if cache else cache_dir() / "repos"
        self.map: dict[str, Path] = {}
        self.dir: Path | None = None
        self._lock = threading.Lock()
        if mirrors is not None:
            m = Path(mirrors).expanduser()
            if m.is_dir():
                self.dir = m
            elif m.is_file():
                try:
                    data = json.loads(m.read_text())
                except json.JSONDecodeError as e:
                    raise SourceError(f"mirrors file {m} is not JSON: {e}") from None
                if not isinstance(data, dict):
                    raise SourceError(f"mirrors file {m} must map OWNER/REPO to a git dir")
                self.map = {k: (m.parent / Path(v).expanduser()) for k, v in data.items()}
            else:
                raise SourceError(f"mirrors: no such directory or JSON file: {m}")

    def _mirror(self, repo: str) -> Path | None:
        if repo in self.map:
            return self.map[repo]
        if self.dir is not None:
            for name in (f"{repo.replace('/', '__')}.git", repo.replace("/", "__")):
                if (self.dir / name).exists():
                    return self.dir / name
        return None

    def git_dir(self, repo: str) -> Path:
        """A git dir holding ``repo``'s history (a mirror, or a bare clone cached by dsfix)."""
        _check_repo(repo)
        mirror = self._mirror(repo)
        if mirror is not None:
            if _git("rev-parse", "--git-dir", cwd=mirror, check=False).returncode != 0:
                raise SourceError(f"mirror for {repo} is not a git repository: {mirror}")
            return mirror
        if self.dir is not None or self.map:
            if not self.online:
                raise SourceError(f"no mirror for {repo} (looked for {repo.replace('/', '__')}.git"
                                  f"{' in ' + str(self.dir) if self.dir else ' in the mirrors map'})")
        dest = self.cache / f"{repo.replace('/', '__')}.git"
        with self._lock:
            if not (dest / "HEAD").exists():
                if not self.online:
                    raise SourceError(f"{repo} is not cached and dsfix is offline; pass mirrors")
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(dest.name + ".part")
                shutil.rmtree(tmp, ignore_errors=True)
                _git("clone", "--bare", "--quiet", self.url.format(repo=repo), str(tmp))
                os.replace(tmp, dest)
        return dest

    def has_commit(self, repo: str, commit: str) -> bool:
        gd = self.git_dir(repo)
        return _git("cat-file", "-e", f"{commit}^{{commit}}", cwd=gd, check=False).returncode == 0

    def ensure_commits(self, repo: str, *commits: str) -> Path:
        """The git dir, once it holds every commit (fetching dsfix's own clone when allowed)."""
        gd = self.git_dir(repo)
        missing = [c for c in commits if not self.has_commit(repo, c)]
        if missing and self.online and gd.is_relative_to(self.cache):
            with self._lock:
                _git("fetch", "--quiet", "--tags", "origin", "+refs/heads/*:refs/heads/*", cwd=gd, check=False)
            missing = [c for c in missing if not self.has_commit(repo, c)]
        if missing:
            raise SourceError(f"{repo}: commit(s) {', '.join(c[:12] for c in missing)} not found in {gd}")
        return gd

    def archive(self, repo: str, commit: str, dest: Path) -> Path:
        """Write the tree of ``commit`` into ``dest`` (created), without a .git."""
        gd = self.ensure_commits(repo, commit)
        dest = Path(dest)
        dest.mkdir(parents=True, exist_ok=True)
        archive = subprocess.Popen(["git", "archive", "--format=tar", commit], cwd=gd, stdout=subprocess.PIPE)
        untar = subprocess.run(["tar", "-x", "-C", str(dest)], stdin=archive.stdout, capture_output=True)
        archive.stdout.close()
        if archive.wait() != 0 or untar.returncode != 0:
            raise SourceError(f"git archive {repo}@{commit[:12]} failed: {untar.stderr.decode()[-500:]}")
        return dest

    def clone_bare(self, repo: str, dest: Path, *commits: str) -> Path:
        """A bare clone of ``repo`` at ``dest`` (objects hard-linked when on the same filesystem)."""
        gd = self.ensure_commits(repo, *commits)
        _git("clone", "--bare", "--quiet", str(gd), str(dest))
        # the mirror's own branches and tags, not origin/*: what a fresh clone of GitHub would have
        _git("fetch", "--quiet", "--tags", str(gd), "+refs/heads/*:refs/heads/*", cwd=Path(dest), check=False)
        _git("remote", "remove", "origin", cwd=Path(dest), check=False)
        return Path(dest)
