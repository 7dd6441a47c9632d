"""Run the real `dsfix` console script in a subprocess, as a user would."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

DSFIX = str(Path(sys.executable).parent / "dsfix")


def dsfix(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    full = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", **(env or {})}
    return subprocess.run([DSFIX, *args], capture_output=True, text=True, env=full, timeout=timeout)


def script(path: Path, responses: list, then: str = "error") -> str:
    """Write a scripted-model file (a replay of given answers, not a real model); returns the --model value."""
    path.write_text(json.dumps({"responses": responses, "then": then}))
    return f"scripted/{path}"


def report(out: Path) -> dict:
    return json.loads((out / "report.json").read_text())
