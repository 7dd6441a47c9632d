"""RepoSpec: how to build and test one repository inside a container."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .parsers import PARSERS


class RepoSpec(BaseModel):
    """Everything an environment needs to install a repo and run its tests.

    ``install`` and ``pre_test`` are shell commands run in the repo root, in
    order, in one shell session (SWE-bench's scripts set variables in one
    command and use them in the next; ``|| exit 1`` must stop the script);
    ``test_cmd`` is run after ``pre_test`` with ``env`` exported.  When
    ``test_files_arg`` is true, test file paths may be appended to
    ``test_cmd`` to run only those files.

    Test runs never reach a network. ``network`` says what the outside looks like from inside:
    ``"none"`` (only loopback: a connect elsewhere fails at once, ENETUNREACH) or ``"drop"``
    (still no way out, but packets to non-local addresses are silently dropped, so connects
    time out as on a real network; ``dsfix.envs.dropnet``). ``services`` names local
    stand-ins the tests talk to (``dsfix.envs.specs.services``, e.g. ``httpbin`` for
    httpbin.org), installed beside the tested environment and started before the tests.
    ``test_timeout`` (seconds) is how long one test run may take in this repository (a large
    suite needs more than the default ``env.exec_timeout``); an explicit ``env.exec_timeout``
    setting still wins (``run_timeout``).
    """

    model_config = ConfigDict(extra="forbid")

    python: str = "3.11"
    install: list[str] = Field(default_factory=list)
    test_cmd: str = "python -m pytest -rA"
    parser: str = "pytest"
    test_files_arg: bool = True
    env: dict[str, str] = Field(default_factory=dict)
    # SWE-bench "eval_commands" that are not plain exports (e.g. locale-gen).
    pre_test: list[str] = Field(default_factory=list)
    network: Literal["none", "drop"] = "none"
    services: list[str] = Field(default_factory=list)
    source: str = "detected"
    origin: str = ""     # where a detected test command was read ("tox.ini [testenv] commands")
    test_timeout: int | None = Field(None, ge=1)

    @field_validator("python", mode="before")
    @classmethod
    def _python(cls, v: object) -> str:
        # YAML reads `3.10` as the float 3.1: refuse that rather than guess.
        if isinstance(v, float) and str(v) in ("3.1", "3.2"):
            raise ValueError(f"python {v!r} is ambiguous (YAML float); quote it: '3.10'")
        v = str(v)
        if not re.fullmatch(r"3\.\d+", v):
            raise ValueError(f"python must look like '3.11', got {v!r} (quote it in YAML)")
        return v

    @field_validator("install", "pre_test", mode="before")
    @classmethod
    def _commands(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v  # one command may be given bare

    @field_validator("env", mode="before")
    @classmethod
    def _env(cls, v: object) -> object:
        return {str(k): str(x) for k, x in v.items()} if isinstance(v, dict) else v

    @field_validator("parser")
    @classmethod
    def _parser(cls, v: str) -> str:
        if v not in PARSERS:
            raise ValueError(f"unknown parser {v!r}; known: {sorted(PARSERS)}")
        return v

    @field_validator("services", mode="before")
    @classmethod
    def _services(cls, v: object) -> object:
        from .services import get
        v = [v] if isinstance(v, str) else v
        for name in v or []:
            get(name)       # ValueError for an unknown service
        return v


def run_timeout(exec_timeout: int, explicit: bool, spec_timeout: int | None) -> int:
    """The limit for a run's commands: ``env.exec_timeout`` when a setting gave it (settings
    override), else the spec's ``test_timeout``, else the default ``exec_timeout``."""
    return exec_timeout if explicit or not spec_timeout else int(spec_timeout)
