"""What a repository needs installed to run its tests, read statically from where projects keep it.

The project itself (editable, with its test extras), ``[dependency-groups]``, tox's ``deps`` and
``extras``, requirement files. Nothing here runs the repository's code; ``key_files`` are the
files read, whose content keys the environment image (an edit to the code reuses it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from . import pyversion
from .detect import detect_spec, requirement_files
from .lockpins import read_pins
from .project import load_toml, read_project
from .runners import tox_config

TEST_NAMES = ("test", "tests", "testing")
KEY_FILES = ("pyproject.toml", "setup.py", "setup.cfg", "tox.ini")


@dataclass
class TestDeps:
    __test__ = False   # not a pytest class, despite the name
    packaged: bool = False
    extras: list[str] = field(default_factory=list)              # installed as -e .[extras]
    requirement_files: list[str] = field(default_factory=list)   # -r FILE, relative to the root
    requirements: list[str] = field(default_factory=list)        # dependency groups, tox deps, pytest
    key_files: list[str] = field(default_factory=list)
    python: str = "3.11"                                          # from the project's metadata
    pythons: list[str] = field(default_factory=list)              # every version it allows, best first
    constraints: list[str] = field(default_factory=list)         # pins from its lock / constraints files


def _pick(names: list[str]) -> list[str]:
    """Test-ish names (test, tests, testing, test-*), else dev: what a contributor installs."""
    tests = [n for n in names if n.lower() in TEST_NAMES or re.match(r"tests?[-_]", n.lower())]
    return tests or [n for n in names if n.lower() == "dev"]


def dependency_group(groups: dict, name: str, seen: frozenset = frozenset()) -> list[str]:
    """A PEP 735 group's requirements, with ``{include-group = ...}`` expanded (cycles dropped)."""
    out: list[str] = []
    for item in groups.get(name, []):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict) and item.get("include-group") not in seen | {name}:
            out += dependency_group(groups, item["include-group"], seen | {name})
    return out


def _tox(repo: Path) -> tuple[list[str], list[str], list[str]]:
    """tox's [testenv] (requirement files, requirements, extras); substitutions are skipped."""
    cfg = tox_config(repo)
    if cfg is None or not cfg.has_section("testenv"):
        return [], [], []
    files, reqs = [], []
    for line in (l.strip() for l in cfg.get("testenv", "deps", fallback="").splitlines()):
        line = line.replace("{toxinidir}/", "")
        if not line or line.startswith(("#", "-c", "-e")) or "{" in line:
            continue
        (files.append(line[2:].strip()) if line.startswith("-r") else reqs.append(line))
    extras = cfg.get("testenv", "extras", fallback="").replace(",", "\n").split()
    return files, reqs, extras


def read_test_deps(repo: Path) -> TestDeps:
    repo = Path(repo)
    info, spec = read_project(repo), detect_spec(repo)
    groups = load_toml(repo / "pyproject.toml").get("dependency-groups", {})
    tox_files, tox_reqs, tox_extras = _tox(repo)
    reqs = [r for g in _pick(list(groups)) for r in dependency_group(groups, g)] + tox_reqs
    if spec.parser == "pytest" and not any(re.match(r"pytest\b", r) for r in reqs):
        reqs.append("pytest")   # the detected test command is pytest's
    files = list(dict.fromkeys(requirement_files(repo) + [f for f in tox_files if (repo / f).is_file()]))
    extras = [e for e in dict.fromkeys(_pick(list(info.extras)) + tox_extras) if e in info.extras]
    keys = [f for f in KEY_FILES if (repo / f).is_file()] + files
    keys += sorted(p.relative_to(repo).as_posix() for p in repo.glob("requirements/*.txt"))
    pythons = pyversion.ranked(info.requires_python, pyversion.classifier_versions(info.classifiers))
    pins, pin_files = read_pins(repo)
    return TestDeps(info.packaged, extras if info.packaged else [], files, list(dict.fromkeys(reqs)),
                    list(dict.fromkeys(keys + pin_files)), spec.python, pythons, pins)
