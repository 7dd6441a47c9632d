"""Read what a repository declares about itself: packaging, Python, extras.

Only static reading (TOML/INI parsing, ``ast`` on setup.py): detection must
never execute the user's code.
"""

from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    try:
        import tomli as tomllib  # type: ignore[no-redef]
    except ImportError:
        tomllib = None  # type: ignore[assignment]


@dataclass
class ProjectInfo:
    packaged: bool = False
    requires_python: str | None = None
    classifiers: list[str] = field(default_factory=list)
    extras: dict[str, list[str]] = field(default_factory=dict)  # extra -> requirements
    pytest_config: bool = False  # [tool.pytest.ini_options] / [tool:pytest]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def load_toml(path: Path) -> dict:
    if tomllib is None or not path.is_file():
        return {}
    try:
        return tomllib.loads(_read(path))
    except Exception:  # noqa: BLE001 - a broken pyproject must not break detection
        return {}


def _from_pyproject(info: ProjectInfo, data: dict) -> None:
    project = data.get("project", {})
    poetry = data.get("tool", {}).get("poetry", {})
    info.packaged |= bool(project or poetry or "build-system" in data)
    info.requires_python = project.get("requires-python") or \
        poetry.get("dependencies", {}).get("python") or info.requires_python
    info.classifiers += project.get("classifiers", []) + poetry.get("classifiers", [])
    for name, reqs in {**poetry.get("extras", {}),
                       **project.get("optional-dependencies", {})}.items():
        info.extras[name] = list(reqs)
    info.pytest_config |= "pytest" in data.get("tool", {})


def _lines(value: str) -> list[str]:
    return [l.strip() for l in value.splitlines() if l.strip() and not l.strip().startswith("#")]


def _from_setup_cfg(info: ProjectInfo, path: Path) -> None:
    cfg = configparser.ConfigParser(interpolation=None)
    try:
        cfg.read_string(_read(path))
    except configparser.Error:
        return
    info.packaged |= cfg.has_section("metadata") or cfg.has_section("options")
    if cfg.has_option("options", "python_requires"):
        info.requires_python = info.requires_python or cfg.get("options", "python_requires")
    if cfg.has_option("metadata", "classifiers"):
        info.classifiers += _lines(cfg.get("metadata", "classifiers"))
    if cfg.has_section("options.extras_require"):
        for name, reqs in cfg.items("options.extras_require"):
            info.extras.setdefault(name, _lines(reqs))
    info.pytest_config |= cfg.has_section("tool:pytest")


def _literal(node: ast.AST, names: dict[str, ast.AST]) -> object:
    """Evaluate a literal, following one level of ``NAME = {...}``."""
    if isinstance(node, ast.Name) and node.id in names:
        node = names[node.id]
    try:
        return ast.literal_eval(node)
    except ValueError:
        return None


def _from_setup_py(info: ProjectInfo, path: Path) -> None:
    text = _read(path)
    info.packaged = True
    try:
        tree = ast.parse(text)
    except SyntaxError:
        tree = ast.Module(body=[], type_ignores=[])
    names = {t.id: n.value for n in tree.body if isinstance(n, ast.Assign)
             for t in n.targets if isinstance(t, ast.Name)}
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        for kw in call.keywords:
            value = _literal(kw.value, names)
            if kw.arg == "python_requires" and isinstance(value, str):
                info.requires_python = info.requires_python or value
            elif kw.arg == "classifiers" and isinstance(value, list):
                info.classifiers += [c for c in value if isinstance(c, str)]
            elif kw.arg == "extras_require" and isinstance(value, dict):
                for name, reqs in value.items():
                    reqs = [reqs] if isinstance(reqs, str) else list(reqs)
                    info.extras.setdefault(str(name), [str(r) for r in reqs])
    if not info.requires_python:  # non-literal setup() calls: a regex still helps
        m = re.search(r"python_requires\s*=\s*['\"]([^'\"]+)['\"]", text)
        info.requires_python = m[1] if m else None


def read_project(repo: Path) -> ProjectInfo:
    info = ProjectInfo()
    _from_pyproject(info, load_toml(repo / "pyproject.toml"))
    if (repo / "setup.cfg").is_file():
        _from_setup_cfg(info, repo / "setup.cfg")
    if (repo / "setup.py").is_file():
        _from_setup_py(info, repo / "setup.py")
    return info
