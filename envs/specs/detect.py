"""Detect a RepoSpec for a user's repository, and apply the settings' ``spec:`` overrides."""

from __future__ import annotations

import os
import re
from pathlib import Path

from . import pyversion
from .repospec import RepoSpec
from .project import ProjectInfo, read_project
from .runners import RunnerCommand, forces_color, from_nox, from_tox, pytest_config_origin

PIP = "python -m pip install"
TEST_EXTRAS = ("test", "tests", "testing", "dev")
_SKIP_DIRS = {".git", ".venv", "venv", "env", ".tox", ".nox", "node_modules", "build",
              "dist", "site-packages", "__pycache__", ".eggs"}
_MAX_TEST_FILES = 200  # enough to judge the style; keeps detection fast on huge repos


def _test_files(repo: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(repo):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.endswith(".egg-info"))
        found += [Path(root, f) for f in sorted(files)
                  if re.fullmatch(r"test_.*\.py|.*_test\.py|tests?\.py", f)]   # test.py: python-slugify
        if len(found) >= _MAX_TEST_FILES:
            break
    return found


def requirement_files(repo: Path) -> list[str]:
    """Root requirements*.txt (requirements.txt first) and requirements/{test,dev}*.txt."""
    root = sorted((p.name for p in repo.glob("*requirements*.txt") if "doc" not in p.name),
                  key=lambda n: (n != "requirements.txt", n))
    sub = sorted(f"requirements/{p.name}" for p in repo.glob("requirements/*.txt")
                 if re.search(r"test|dev", p.name) and "doc" not in p.name)
    return root + sub


def _mentions_pytest(repo: Path, info: ProjectInfo, reqs: list[str]) -> bool:
    if info.pytest_config or (repo / "pytest.ini").is_file() or (repo / "conftest.py").is_file():
        return True
    texts = [(repo / r).read_text(errors="replace") for r in reqs]
    texts += [" ".join(v) for v in info.extras.values()]
    for name in ("tox.ini", "noxfile.py"):
        if (repo / name).is_file():
            texts.append((repo / name).read_text(errors="replace"))
    return any(re.search(r"\bpytest\b", t) for t in texts)


def _uses_pytest(repo: Path, info: ProjectInfo, reqs: list[str], tests: list[Path]) -> bool:
    """pytest unless the tests are plainly unittest-only (no pytest anywhere)."""
    if _mentions_pytest(repo, info, reqs):
        return True
    texts = [t.read_text(errors="replace") for t in tests]
    uses_unittest = any(re.search(r"^\s*(import unittest|from unittest)", t, re.M) for t in texts)
    uses_pt = any(re.search(r"^\s*(import pytest|from pytest)|^def test_", t, re.M) for t in texts)
    return uses_pt or not uses_unittest


def _unittest_cmd(repo: Path, tests: list[Path]) -> tuple[str, bool]:
    """``python -m unittest -v`` finds packages only; else discover inside the test dir."""
    dirs = {t.parent for t in tests}
    if len(dirs) == 1 and (d := dirs.pop()) != repo and not (d / "__init__.py").is_file():
        return f"python -m unittest discover -v -s {d.relative_to(repo).as_posix()}", False
    return "python -m unittest -v", True


def _package_install(info: ProjectInfo, extras: list[str]) -> list[str]:
    if not info.packaged:
        return []
    extras = extras or [e for e in TEST_EXTRAS if e in info.extras][:1]
    target = f'".[{",".join(extras)}]"' if extras else "."
    return [f"{PIP} -e {target}"]


def detect_spec(repo: Path) -> RepoSpec:
    """Best-effort spec from the repo's own files; never runs its code."""
    repo = Path(repo)
    info = read_project(repo)
    reqs = requirement_files(repo)
    tests = _test_files(repo)
    python = pyversion.choose(info.requires_python, pyversion.classifier_versions(info.classifiers))
    install = [f"{PIP} -r {r}" for r in reqs]
    if not _uses_pytest(repo, info, reqs, tests):
        cmd, files_arg = _unittest_cmd(repo, tests)
        install += _package_install(info, [])
        return RepoSpec(python=python, install=install, test_cmd=cmd, parser="unittest",
                        test_files_arg=files_arg, source="detected", origin="unittest: the tests use it, not pytest")
    runner = _runner(repo)
    install += _package_install(info, runner.extras) + runner.install + [f"{PIP} pytest"]
    cmd = runner.test_cmd + (" --color=no" if forces_color(repo) else "")   # results, not escape codes
    return RepoSpec(python=python, install=list(dict.fromkeys(install)), test_cmd=cmd, parser="pytest",
                    test_files_arg=not runner.has_paths, source="detected", origin=runner.origin)


def _runner(repo: Path) -> RunnerCommand:
    for parse in (from_tox, from_nox):
        if found := parse(repo):
            return found
    return RunnerCommand("python -m pytest -rA", origin=pytest_config_origin(repo))


def resolve_spec(repo: Path, overrides: dict | None = None, source: str = "settings") -> RepoSpec:
    """detect_spec(repo) with the settings' ``spec:`` fields (already checked: ``check_overrides``)
    replacing detected ones. The repository's dsfix.yaml is read once, by the settings loader."""
    spec = detect_spec(Path(repo))
    if not overrides:
        return spec
    origin = "" if "test_cmd" in overrides else spec.origin   # a command given is not a detected one
    return RepoSpec.model_validate({**spec.model_dump(), **overrides, "source": overrides.get("source", source),
                                    "origin": overrides.get("origin", origin)})
