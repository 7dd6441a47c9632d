"""The code lints clean: pyflakes' checks (unused imports and variables, undefined names, shadowed
imports) and syntax errors, with ruff, over the package, the benchmarks and the tests."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_ruff_finds_nothing():
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        if os.environ.get("CI"):
            pytest.fail("ruff is part of the dev extra: CI must have it")
        pytest.skip("ruff not installed (pip install -e .[dev])")
    r = subprocess.run([ruff, "check", "--no-cache", "agent", "envs", "tools", "prompts", "bench", "tests"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
