"""Reuse a repo's own tox / nox pytest invocation when it is simple.

"Simple" means: one pytest call whose arguments are plain strings (no tox
substitutions beyond {posargs}/{toxinidir}, no Python expressions in nox).
Anything else returns None and detection falls back to the default command.
"""

from __future__ import annotations

import ast
import configparser
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from .project import load_toml

PYTEST = "python -m pytest"
# options whose value is the next token, so that token is not a test path
_VALUED = {"-k", "-m", "-n", "-p", "-c", "-o", "-W", "-r", "--cov", "--ignore", "--deselect",
           "--junitxml", "--rootdir", "--maxfail", "--durations", "--cov-report",
           "--cov-config", "--basetemp", "--log-level", "--timeout", "--tb", "--dist"}


@dataclass
class RunnerCommand:
    test_cmd: str
    install: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)
    has_paths: bool = False  # positional test paths: appending files would widen the run
    origin: str = ""         # where the command was read, said to the user


def pytest_args(tokens: list[str]) -> list[str] | None:
    """Arguments after ``pytest`` / ``python -m pytest`` / ``coverage run -m pytest``."""
    for i, tok in enumerate(tokens):
        if tok in ("pytest", "py.test"):
            return tokens[i + 1:]
        if tok == "-m" and i + 1 < len(tokens) and tokens[i + 1] == "pytest":
            return tokens[i + 2:]
    return None


def build_pytest(args: list[str]) -> tuple[str, bool]:
    """A ``python -m pytest ... -rA`` command; also whether it names test paths."""
    paths = [a for prev, a in zip([""] + args, args)
             if not a.startswith("-") and prev not in _VALUED]
    # -rA last: pytest keeps the last -r, and SWE-bench's parsers need all outcomes
    return shlex.join(["python", "-m", "pytest", *args, "-rA"]), bool(paths)


def _tox_deps(deps: str) -> list[str]:
    cmds, pkgs = [], []
    for line in (l.strip() for l in deps.splitlines()):
        line = line.replace("{toxinidir}/", "").replace("{toxinidir}", ".")
        if not line or line.startswith("#") or "{" in line or line.startswith(("-c", "-e")):
            continue
        if line.startswith("-r"):
            cmds.append(f"python -m pip install -r {shlex.quote(line[2:].strip())}")
        else:
            pkgs.append(line)
    return cmds + ([f"python -m pip install {shlex.join(pkgs)}"] if pkgs else [])


def tox_config(repo: Path) -> configparser.ConfigParser | None:
    """tox.ini, else the ini text embedded in pyproject's [tool.tox] legacy_tox_ini."""
    text = ""
    if (repo / "tox.ini").is_file():
        text = (repo / "tox.ini").read_text(encoding="utf-8", errors="replace")
    else:
        text = load_toml(repo / "pyproject.toml").get("tool", {}).get("tox", {}).get(
            "legacy_tox_ini", "")
    cfg = configparser.ConfigParser(interpolation=None)
    try:
        cfg.read_string(text)
    except configparser.Error:
        return None
    return cfg


def from_tox(repo: Path) -> RunnerCommand | None:
    cfg = tox_config(repo)
    if cfg is None:
        return None
    if not cfg.has_option("testenv", "commands"):
        return None
    # a trailing backslash continues a command on the next line (tox joins them)
    text = re.sub(r"\\[ \t]*\n", " ", cfg.get("testenv", "commands"))
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    runs = [l for l in lines if "pytest" in l]
    if len(runs) != 1:
        return None
    try:
        tokens = [t for t in shlex.split(runs[0]) if t != "{posargs}"]
    except ValueError:   # not shell-like (an unbalanced quote): not a simple command
        return None
    args = pytest_args([t.replace("{toxinidir}", ".") for t in tokens])
    if args is None or any("{" in a for a in args):
        return None
    cmd, has_paths = build_pytest(args)
    extras = [e.strip() for e in cfg.get("testenv", "extras", fallback="").replace(",", "\n").split()]
    where = "tox.ini" if (repo / "tox.ini").is_file() else "pyproject.toml [tool.tox] legacy_tox_ini"
    return RunnerCommand(cmd, _tox_deps(cfg.get("testenv", "deps", fallback="")), extras, has_paths,
                         f"{where} [testenv] commands")


def _ini_addopts(path: Path, section: str) -> str:
    cfg = configparser.ConfigParser(interpolation=None)
    try:
        cfg.read_string(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, configparser.Error):
        return ""
    return cfg.get(section, "addopts", fallback="")


def forces_color(repo: Path) -> bool:
    """Does the repository's pytest config say ``--color=yes``? (python-humanize's tox.ini does:
    its log then reads as escape codes, not results, so the command must say --color=no.)"""
    opts = load_toml(repo / "pyproject.toml").get("tool", {}).get("pytest", {}).get("ini_options", {}).get("addopts", "")
    texts = [" ".join(opts) if isinstance(opts, list) else str(opts)]
    texts += [_ini_addopts(repo / name, section) for name, section in
              (("pytest.ini", "pytest"), (".pytest.ini", "pytest"), ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))
              if (repo / name).is_file()]
    return any(re.search(r"--colou?r[= ]yes\b", t) for t in texts)


def _literal_args(call: ast.Call) -> list[str] | None:
    if call.keywords or not all(isinstance(a, ast.Constant) and isinstance(a.value, str)
                                for a in call.args):
        return None
    return [a.value for a in call.args]


def _session_calls(fn: ast.FunctionDef, method: str) -> list[ast.Call]:
    return [n for n in ast.walk(fn) if isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute) and n.func.attr == method]


def from_nox(repo: Path) -> RunnerCommand | None:
    try:
        tree = ast.parse((repo / "noxfile.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None
    for fn in (n for n in tree.body if isinstance(n, ast.FunctionDef)):
        runs = [a for c in _session_calls(fn, "run") if (a := _literal_args(c)) is not None]
        runs = [args for a in runs if (args := pytest_args(a)) is not None]
        if len(runs) != 1:
            continue
        installs = [a for c in _session_calls(fn, "install") if (a := _literal_args(c))]
        cmd, has_paths = build_pytest(runs[0])
        return RunnerCommand(cmd, [f"python -m pip install {shlex.join(a)}" for a in installs],
                             [], has_paths, f"noxfile.py session {fn.name}")
    return None


def pytest_config_origin(repo: Path) -> str:
    """Where the repository configures pytest (the detected command is pytest's own defaults plus
    that config), for the user to read."""
    tool = load_toml(repo / "pyproject.toml").get("tool", {})
    if "pytest" in tool:
        return "pyproject.toml [tool.pytest" + (".ini_options]" if "ini_options" in tool["pytest"] else "]")
    for name, section in (("pytest.ini", "pytest"), (".pytest.ini", "pytest"), ("tox.ini", "pytest"),
                          ("setup.cfg", "tool:pytest")):
        if (repo / name).is_file() and f"[{section}]" in (repo / name).read_text(errors="replace"):
            return f"{name} [{section}]"
    return "pytest's defaults (no pytest configuration found)"
