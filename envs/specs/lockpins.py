"""Pins a repository keeps for its environment: ``uv.lock``, ``poetry.lock``, ``constraints*.txt``.

They become pip/uv *constraints* of the image build (``name==version``: a pin applies only to a
package something else asks for), so the tests meet the versions the project tested with, not
whatever PyPI has today (pallets/click's ``filterwarnings = error`` fails collection on a pytest
newer than its lock's). Read statically; nothing is resolved here.
"""
from __future__ import annotations

import re
from pathlib import Path

from .project import load_toml

LOCKS = ("uv.lock", "poetry.lock")


def _registry(pkg: dict) -> bool:
    """A package from an index (not the project itself, a path, a git checkout)."""
    source = pkg.get("source") or {}
    return not source or bool({"registry", "type"} & set(source)) and source.get("type") in (None, "legacy", "pypi")


def lock_pins(path: Path) -> list[str]:
    """``name==version`` for each package locked at one version; a package locked at several
    (one per Python or platform) is left free rather than pinned to the wrong one."""
    versions: dict[str, set[str]] = {}
    for pkg in load_toml(path).get("package", []):
        name, version = pkg.get("name"), pkg.get("version")
        if isinstance(name, str) and isinstance(version, str) and _registry(pkg):
            versions.setdefault(re.sub(r"[-_.]+", "-", name).lower(), set()).add(version)
    return [f"{n}=={next(iter(v))}" for n, v in sorted(versions.items()) if len(v) == 1]


def constraint_lines(path: Path) -> list[str]:
    """A constraints file's requirement lines (options and includes are left out: their paths
    are relative to a tree the build does not keep)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    lines = (l.split("#", 1)[0].strip() for l in text.splitlines())
    return [l for l in lines if l and not l.startswith("-")]


def read_pins(repo: Path) -> tuple[list[str], list[str]]:
    """(constraint lines, the files they came from). The first lock found wins."""
    repo = Path(repo)
    files = [n for n in LOCKS if (repo / n).is_file()][:1]
    pins = lock_pins(repo / files[0]) if files else []
    for p in sorted(repo.glob("constraints*.txt")):
        files.append(p.name)
        pins += constraint_lines(p)
    return list(dict.fromkeys(pins)), files
