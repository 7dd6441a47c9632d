"""Typed settings: defaults < dsfix.yaml in the repo < --config file < DSFIX_* env vars < CLI flags."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from .backend import LocalOptions
from .pricing import Price


log = logging.getLogger("dsfix")


class ConfigError(ValueError):
    """Bad configuration: reported as a one-line error with exit code 2."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


DEFAULT_MODEL = "deepseek/deepseek-v4-flash"


class ModelSettings(_Strict):
    name: str = DEFAULT_MODEL
    temperature: float = 0.0        # ignored by models in thinking mode
    max_tokens: int | None = None   # per answer; None: 4096, or 16384 for a model that thinks first
    timeout: float = 300.0          # seconds per request
    retries: int = 4                # on rate limits, 5xx and timeouts
    backoff: float = 2.0            # first wait in seconds, doubled each retry
    api_base: str | None = None
    price: Price | None = None
    # Thinking (reasoning) models: None keeps the provider's default (DeepSeek V4: on, effort high).
    # The reasoning text is recorded in the trajectory, never parsed as the answer.
    thinking: bool | None = None
    reasoning_effort: Literal["low", "high", "max"] | None = None
    # Whether the model takes tools (OpenAI-style function calling) in agent mode. None: as
    # litellm's model map says (litellm.supports_function_calling); set it for a server it does not know.
    tool_calls: bool | None = None


class EnvSettings(_Strict):
    kind: Literal["docker", "local"] = "docker"
    image: str = "dsfix/base:bookworm"
    workdir: str = "/repo"          # where the repo lives in the container (SWE-bench images: /testbed)
    pull: bool = True               # try the registry when the image is absent
    memory: str = "4g"
    cpus: float = 2.0
    pids: int = 1024
    network: bool = False           # test runs get no network unless asked
    # auto: after set-up, the tests, the reproduction and the model's commands run as an unprivileged
    # user where the image allows it (dsfix.envs.unprivileged); root: as root. Not settable from the
    # repository's own dsfix.yaml (REPO_KEYS): the repository cannot ask for root.
    user: Literal["auto", "root"] = "auto"
    # the tests before any change, kept for a run that would repeat them exactly: same image,
    # snapshot, command and settings (agent.baseline_store); Docker environments only
    reuse_baseline: bool = True
    exec_timeout: int = 300
    # commands run once: while building the project image (with network), else after copying the repo in
    setup: list[str] = Field(default_factory=list)
    # The default image: dsfix builds (once, cached) the project's own image on it -- a venv with
    # the project installed editable and its test dependencies (dsfix.envs.layers.project).
    project_image: bool = True      # False: run in env.image as it is
    packages: list[str] = Field(default_factory=list)   # extra pip requirements for the environment image
    python: str | None = None       # the environment's Python (X.Y); None: from the project's metadata
    auto_install: bool = True       # install the detected test dependencies (False: only packages, setup)
    installer: Literal["auto", "uv", "pip"] = "auto"   # auto: uv when it can be installed, else pip
    index_url: str | None = None    # a package index for the build instead of PyPI (a mirror)


class Limits(_Strict):
    max_steps: int = Field(20, ge=1)        # model calls
    max_cost: float = Field(2.0, ge=0)      # USD; enforced only when the price is known
    max_attempts: int = Field(6, ge=1)      # edit attempts (each a full diff against the original)
    max_lookups: int = Field(3, ge=0)       # answers that ask to see more code (tools.lookup) before a fix
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
    # pipeline: dsfix asks for a reproduction and diffs (best for models weak at tool use, e.g. the
    # bundled Coder-V2); bash: the model acts through shell commands in the container (agent.bash_agent),
    # by tool calls where the model takes them; auto: bash for a model that takes tool calls, else
    # pipeline (agent.strategy)
    agent: Literal["pipeline", "bash", "auto"] = "pipeline"
    # candidates per attempt (agent.candidates): sampled at sample_temperature from one shared prompt,
    # each judged by the verifier, the best by evidence kept. 1: one answer at model.temperature.
    samples: int = Field(1, ge=1, le=16)
    sample_temperature: float = Field(0.8, ge=0, le=2)
    switch_format_after: int = 2    # failed diffs in a row before asking for search/replace instead (0: never)
    context_tokens: int = 12000     # budget for code shown in the first prompt
    spec: dict[str, Any] | None = None   # repo spec overrides; read by dsfix.envs.specs
    local: LocalOptions = Field(default_factory=LocalOptions)   # the bundled backend (--model local)
    localize: LocalizeSettings = Field(default_factory=LocalizeSettings)
    ignore: list[str] = Field(default_factory=list)   # paths (globs) never shown to the model or edited
    _ignored: list[str] = PrivateAttr(default_factory=list)

    @field_validator("spec", mode="before")
    @classmethod
    def _spec(cls, v: object) -> object:
        from dsfix.envs.specs.overrides import check_overrides
        return v if v is None else check_overrides(v)   # a typo stops here, not as a silent fall-back later

    @property
    def ignored_repo_keys(self) -> list[str]:
        """Keys of the repository's dsfix.yaml that were ignored (it is untrusted), for the report."""
        return self._ignored


def merge(base: dict, over: dict) -> dict:
    """Deep merge of nested setting dicts; `over` wins."""
    out = dict(base)
    for k, v in over.items():
        out[k] = merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _read_yaml(path: Path, secrets_ok: bool = False) -> dict:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError) as e:
        raise ConfigError(f"cannot read config {path}: {e}") from e
    if not isinstance(data, dict):
        raise ConfigError(f"config {path} must be a mapping")
    if not secrets_ok:   # a repository's file: its secret-looking keys are ignored like any other
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


# What a repository's own dsfix.yaml may set: only what stays inside the sandbox. The repository
# is untrusted (a cloned issue's repo, a batch instance, a user's dependency): its file must not
# move execution to the host (env.kind), open the network (env.network), choose the model or where
# the key is sent (model.*, local.*), or raise the budget (limits.*).
REPO_KEYS: dict[str, set[str] | None] = {
    "test_cmd": None, "test_scope": None, "spec": None, "edit_format": None, "ignore": None,
    "env": {"setup", "packages", "python", "auto_install"},
}


def untrusted(data: dict, where: str) -> tuple[dict, list[str]]:
    """The part of a repository's settings dsfix honours, and the dotted keys it drops."""
    kept: dict = {}
    dropped: list[str] = []
    for key, value in data.items():
        if key not in REPO_KEYS:
            dropped.append(key)
            continue
        allowed = REPO_KEYS[key]
        if allowed is None or not isinstance(value, dict):
            kept[key] = value
            continue
        kept[key] = {k: v for k, v in value.items() if k in allowed}
        dropped += [f"{key}.{k}" for k in value if k not in allowed]
    return kept, dropped


def load_settings(repo: Path | None, config_file: Path | None = None,
                  overrides: dict | None = None, environ: dict[str, str] | None = None,
                  strict: bool = False) -> Settings:
    """Settings from (lowest first) defaults, the repository's dsfix.yaml (untrusted: only
    REPO_KEYS; the rest ignored with a warning, or refused when ``strict``), ``--config``, DSFIX_*
    variables and ``overrides`` (CLI flags)."""
    data: dict = {}
    ignored: list[str] = []
    if repo is not None and (repo / "dsfix.yaml").is_file():
        data, ignored = untrusted(_read_yaml(repo / "dsfix.yaml", secrets_ok=True), str(repo / "dsfix.yaml"))
        _check_spec(data, repo / "dsfix.yaml")
        if ignored and strict:
            raise ConfigError(f"{repo / 'dsfix.yaml'}: the repository may not set {', '.join(ignored)} "
                              f"(only {', '.join(_repo_keys())}); move them to --config")
        for key in ignored:
            log.warning("the repository's dsfix.yaml sets %s: ignored (a repository may only set %s; "
                        "put it in --config or a DSFIX_ variable)", key, ", ".join(_repo_keys()))
    if config_file is not None:
        if not config_file.is_file():
            raise ConfigError(f"config file not found: {config_file}")
        own = _read_yaml(config_file)
        _check_spec(own, config_file)
        data = merge(data, own)
    data = merge(data, _from_env(dict(os.environ if environ is None else environ)))
    data = merge(data, overrides or {})
    try:
        settings = Settings.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, ValueError) and str(cause).startswith("spec"):   # names its own key
            raise ConfigError(f"invalid setting {cause}") from e
        loc = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid setting {loc}: {first['msg']}") from e
    settings._ignored = ignored
    return settings


def _check_spec(data: dict, path: Path) -> None:
    """Each file's ``spec:`` on its own, so the error names the file it is in."""
    from dsfix.envs.specs.overrides import SpecError, check_overrides
    if data.get("spec") is not None:
        try:
            check_overrides(data["spec"])
        except SpecError as e:
            raise ConfigError(f"{path}: invalid setting {e}") from None


def _repo_keys() -> list[str]:
    return [k if sub is None else f"{k}.{{{','.join(sorted(sub))}}}" for k, sub in REPO_KEYS.items()]
