"""Helpers shared by the local-backend tests: optional engines, and processes by command line."""
from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def need(*modules: str, install: str = "pip install 'dsfix[local]'", what: str = "the local backend") -> None:
    """Skip without the modules; under CI fail instead, so engine tests cannot silently vanish."""
    missing = [m for m in modules if not installed(m)]
    if missing:
        msg = f"{', '.join(missing)} not installed ({install})"
        if os.environ.get("CI"):
            pytest.fail(f"CI must install {what}: {msg}")
        pytest.skip(msg)


def pids_with(marker: str) -> list[int]:
    """Processes whose command line holds `marker` (a /proc scan, no psutil)."""
    found = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                if marker.encode() in (d / "cmdline").read_bytes():
                    found.append(int(d.name))
            except OSError:
                pass
    return found
