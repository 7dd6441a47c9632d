"""Typed settings: defaults < dsfix.yaml in the repo < --config file < DSFIX_* env vars < CLI flags."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .backend import LocalOptions


class ConfigError(ValueError):
    """Bad configuration: reported as a one-line error with exit code 2."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Price(_Strict):
    """USD per million tokens, for models litellm has no price for (or to override it)."""
    input: float
    output: float
    cache_hit: float | None = None


class ModelSettings(_Strict):
    name: str = "deepseek/deepseek-coder"
    temperature: float = 0.0
    max_tokens: int = 4096
    timeout: float = 300.0          # seconds per request
    retries: int = 4                # on rate limits, 5xx and timeouts
    backoff: float = 2.0            # first wait in seconds, doubled each retry
    api_base: str | None = None
    price: Price | None = None


class EnvSettings(_Strict):
    kind: Literal["docker", "local"] = "docker"
    image: str = "dsfix/base:bookworm"
    workdir: str = "/repo"          # where the repo lives in the container (SWE-bench images: /testbed)
    pull: bool = True               # try the registry when the image is absent
    memory: str = "4g"
    cpus: float = 2.0
    pids: int = 1024
    network: bool = False           # test runs get no network unless asked
    exec_timeout: int = 300
    setup: list[str] = Field(default_factory=list)   # commands run once after copying the repo in


class Limits(_Strict):
    max_steps: int = 20             # model calls
    max_cost: float = 2.0           # USD; enforced only when the price is known
    max_attempts: int = 6           # edit attempts (each a full diff against the original)
    stop_file: str | None = None    # when this file exists the run stops at its next step (batch budgets)


class LocalizeSettings(_Strict):
    # The model narrows the ranked files to files, symbols and line ranges before the loop
    # (3 short calls). None: on, except for the scripted replay, whose recorded answers
    # start at the loop's first step (a replay has no narrowing answers unless it records them).
    narrow: bool | None = None
    narrow_tokens: int = Field(3000, ge=500)   # prompt budget per narrowing stage
    narrow_candidates: int = Field(10, ge=1)   # ranked files shown to the model


class Settings(_Strict):
    model: ModelSettings = Field(default_factory=ModelSettings)
    env: EnvSettings = Field(default_factory=EnvSettings)
    limits: Limits = Field(default_factory=Limits)
    test_cmd: str | None = None
    test_scope: Literal["all", "related"] = "all"   # related: only tests linked to the localized files
    edit_format: Literal["udiff", "search_replace"] = "udiff"
    switch_format_after: int = 2    # failed diffs in a row before asking for search/replace instead (0: never)
    context_tokens: int = 12000     # budget for code shown in the first prompt
    spec: dict[str, Any] | None = None   # repo spec overrides; read by dsfix.envs.specs
    local: LocalOptions = Field(default_factory=LocalOptions)   # the bundled backend (--model local)
    localize: LocalizeSettings = Field(default_factory=LocalizeSettings)


SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD")


def merge(base: dict, over: dict) -> dict:
    """Deep merge of nested setting dicts; `over` wins."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read config {path}: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} must be a mapping")
    _refuse_secrets(data, str(path))
    return data


def _refuse_secrets(data: dict, where: str) -> None:
    # API keys come only from the environment, never from files that get committed.
    for k, v in data.items():
        if any(w.lower() in k.lower() for w in ("api_key", "token", "secret", "password")):
            raise ConfigError(f"{where}: '{k}' is not allowed in config files; set the key in the environment")
        if isinstance(v, dict):
            _refuse_secrets(v, where)


def _from_env(environ: dict[str, str]) -> dict:
    """DSFIX_MODEL__NAME=x -> {"model": {"name": "x"}}; values parsed as YAML scalars."""
    out: dict = {}
    for name, raw in environ.items():
        if not name.startswith("DSFIX_") or "__" not in name:
            continue
        keys = name[len("DSFIX_"):].lower().split("__")
        node = out
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        node[keys[-1]] = yaml.safe_load(raw) if raw else raw
    return out


def load_settings(repo: Path | None, config_file: Path | None = None,
                  overrides: dict | None = None, environ: dict[str, str] | None = None) -> Settings:
    data: dict = {}
    if repo is not None and (repo / "dsfix.yaml").is_file():
        data = merge(data, _read_yaml(repo / "dsfix.yaml"))
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"config file not found: {config_file}")
        data = merge(data, _read_yaml(config_file))
    data = merge(data, _from_env(dict(os.environ if environ is None else environ)))
    data = merge(data, overrides or {})
    try:
        return Settings.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid setting {loc}: {first['msg']}") from e
