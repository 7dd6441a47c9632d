"""Shared fixtures. Docker tests talk to a real engine; scripts/test.sh provisions one.

In CI (CI=true) a missing engine is an error, not a skip, so container tests can't silently vanish.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
# Containers this test session causes carry this tag (subprocesses inherit it), so checks for
# leftovers are not confused by anything else using the same engine.
TAG = os.environ.setdefault("DSFIX_TAG", f"pytest-{uuid.uuid4().hex[:10]}")
# Runs use the base image as it is unless a test asks for the project image (test_project_image.py
# does, with its own loopback index): other tests' builds would need PyPI.
os.environ.setdefault("DSFIX_ENV__PROJECT_IMAGE", "false")
# Each test runs its own baseline: identical fixture repositories in other tests (and earlier CI
# runs on this machine) must not hand it one; tests/test_baseline_store.py turns reuse on.
os.environ.setdefault("DSFIX_ENV__REUSE_BASELINE", "false")
ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "inventory"
REPLAY = ROOT / "examples" / "inventory.replay.json"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=cwd,
                          check=True, capture_output=True, text=True).stdout


def commit_files(path: Path, files: dict[str, str]) -> Path:
    """A real git repo at `path` holding `files` (relative path -> text), committed."""
    for rel, text in files.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_text(text)
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "initial")
    return path


def make_repo(path: Path, src: Path = EXAMPLE) -> Path:
    """A real git repo holding a copy of `src`, committed."""
    shutil.copytree(src, path, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    git(path, "init", "-q")
    git(path, "add", "-A")
    git(path, "commit", "-qm", "initial")
    return path


@pytest.fixture
def buggy_repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "inventory")


@pytest.fixture(scope="session")
def docker_client():
    from dsfix.envs.base import EnvError
    from dsfix.envs.docker_env import docker_client as connect
    try:
        client = connect(timeout=30)
    except EnvError as e:
        if os.environ.get("CI"):
            pytest.fail(f"CI needs a Docker engine: {e}")
        pytest.skip(f"no Docker engine: {e} (scripts/test.sh provisions one)")
    from dsfix.envs.images import BASE_IMAGE, ensure_image
    ensure_image(client, BASE_IMAGE, pull=False)
    return client


def dsfix_containers(client) -> list:
    return client.containers.list(all=True, sparse=True, filters={"label": f"dsfix.tag={TAG}"})


@pytest.fixture
def isolated_index_cache(tmp_path, monkeypatch):
    """The localize tests' own index cache, and an empty in-process memo."""
    from dsfix.tools.localize import index as index_mod
    monkeypatch.setenv("DSFIX_CACHE_DIR", str(tmp_path / "cache"))
    index_mod._memo.clear()


@pytest.fixture
def repo(tmp_path):
    """The localize fixture repository (tests/test_localize_helpers.py)."""
    from test_localize_helpers import make_repo as make_localize_repo
    return make_localize_repo(tmp_path / "repo")
