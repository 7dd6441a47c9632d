"""One value of the repository's pytest configuration, read from the file pytest itself would use."""
from __future__ import annotations

import configparser
from pathlib import Path

from .project import load_toml

# pytest's own order: the first of these that holds a pytest section is the configuration.
_INI_FILES = (("pytest.ini", "pytest"), (".pytest.ini", "pytest"), ("pyproject.toml", None),
              ("tox.ini", "pytest"), ("setup.cfg", "tool:pytest"))


def pytest_ini_value(repo: Path, key: str) -> str | None:
    """``key`` (e.g. ``python_files``) as a string (a TOML list joined by spaces), or None when the
    configuration pytest would read does not set it."""
    for name, section in _INI_FILES:
        path = repo / name
        if not path.is_file():
            continue
        if section is None:
            table = load_toml(path).get("tool", {}).get("pytest", {}).get("ini_options")
            if table is None:
                continue
            value = table.get(key)
            return " ".join(map(str, value)) if isinstance(value, list) else (None if value is None else str(value))
        cfg = configparser.ConfigParser(interpolation=None)
        try:
            cfg.read_string(path.read_text(encoding="utf-8", errors="replace"))
        except (OSError, configparser.Error):
            continue
        if cfg.has_section(section):
            return cfg.get(section, key, fallback=None)
    return None
