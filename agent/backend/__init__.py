"""dsfix.agent.backend: the bundled local DeepSeek-Coder-V2 backend (`--model local`, `dsfix serve`).

    with local_model(cfg.model) as model_cfg:      # starts a server for `local` / `local/...`
        model = LitellmModel(model_cfg)              # openai/<alias> + api_base, price 0 (or configured)

For any other model name `local_model` yields the settings unchanged. With `api_base` set, an already
running server is shared and nothing is started.
"""
from __future__ import annotations

import logging
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from pydantic import BaseModel, ConfigDict

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch litellm's price map

from .deepseek import CHAT_TEMPLATE, fim_prompt
from .weights import LocalBackendError, parse_ref, resolve

LOCAL_PREFIX = "local"


class LocalOptions(BaseModel):
    """How `--model local` serves the model (a candidate `local:` section of dsfix's settings)."""
    model_config = ConfigDict(extra="forbid")
    engine: str | None = None         # llama.cpp | vllm | transformers; None: picked automatically
    ctx: int = 16384                  # context window passed to the engine (up to the model's 128K)
    parallel: int = 1                 # concurrent request slots
    threads: int | None = None        # CPU threads (llama.cpp)
    start_timeout: float = 600.0      # seconds to wait for the server to load the model
    progress: bool = True             # show a progress bar while downloading weights


def is_local(name: str | None) -> bool:
    return bool(name) and (name == LOCAL_PREFIX or name.startswith(LOCAL_PREFIX + "/"))


def local_ref(name: str) -> str:
    return name[len(LOCAL_PREFIX) + 1:] if name.startswith(LOCAL_PREFIX + "/") else ""


def alias_for(ref: str, weights: Path | None = None) -> str:
    """A short model name for the server and litellm: the file or repo name, lower case, safe chars."""
    base = weights.stem if weights is not None else (ref.rstrip("/").split("/")[-1] or "deepseek-coder-v2-lite")
    return re.sub(r"[^a-z0-9._-]+", "-", base.lower()).strip("-") or "dsfix-local"


def _zero_price():
    from dsfix.agent.pricing import Price
    return Price(input=0.0, output=0.0, cache_hit=0.0)


@contextmanager
def local_model(settings, options: LocalOptions | dict | None = None) -> Iterator:
    """Yield ModelSettings that reach the local model through litellm; start and stop its server.

    `settings` is a dsfix.agent.config.ModelSettings. For `local` / `local/<name-or-path>` the weights
    are resolved (downloaded once into the Hugging Face cache), a server is started on a free loopback
    port and the yielded settings read `openai/<alias>` with that `api_base`, priced at zero unless
    `price` is set. The server is stopped by its process id when the block ends, whatever ends it.
    """
    if not is_local(settings.name):
        yield settings
        return
    opts = options if isinstance(options, LocalOptions) else LocalOptions(**(options or {}))
    ref = local_ref(settings.name)
    price = settings.price if settings.price is not None else _zero_price()
    _ensure_dummy_key()
    if settings.api_base:
        # share an already running server: nothing is started, nothing is stopped
        _check_shared(settings.api_base)
        yield settings.model_copy(update={"name": f"openai/{alias_for(ref)}", "price": price})
        return
    from .server import LocalServer, ServeOptions, pick_engine
    engine = pick_engine(opts.engine)
    weights = resolve(parse_ref(ref, engine), engine, progress=opts.progress)
    alias = alias_for(ref, weights if weights.is_file() else None)
    server = LocalServer(ServeOptions(weights=weights, engine=engine, ctx=opts.ctx, parallel=opts.parallel,
                                      alias=alias, threads=opts.threads, start_timeout=opts.start_timeout))
    with server:
        try:
            yield settings.model_copy(update={"name": f"openai/{alias}", "api_base": server.api_base,
                                              "price": price})
        finally:
            note = server.exit_note()   # it died on its own during the run: say why, on stderr
            if note:
                logging.getLogger("dsfix.backend").warning(note)


def _check_shared(api_base: str) -> None:
    import urllib.error
    import urllib.request
    try:
        with urllib.request.urlopen(api_base.rstrip("/") + "/models", timeout=10) as r:
            r.read()
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise LocalBackendError(f"no model server answers at {api_base} ({reason}): start one with "
                                f"`dsfix serve`, or leave out --api-base to let dsfix start its own") from e


def _ensure_dummy_key() -> None:
    # litellm's openai client refuses to send a request without some key; the local server ignores it
    os.environ.setdefault("OPENAI_API_KEY", "sk-local-no-key")


def complete_fim(settings, prefix: str, suffix: str, max_tokens: int = 256, stop: list[str] | None = None) -> str:
    """Fill in the middle with a base model: returns the text between `prefix` and `suffix`.

    `settings` are ModelSettings as yielded by `local_model` (or any OpenAI-compatible completions
    server via `openai/<name>` + `api_base`). Uses the text completions endpoint with DeepSeek's
    FIM prompt; the instruct model answers too, but the base model is the one trained for it.
    """
    import litellm
    from dsfix.agent.errors import ModelError
    kwargs = dict(model=settings.name, prompt=fim_prompt(prefix, suffix), max_tokens=max_tokens,
                  temperature=settings.temperature, timeout=settings.timeout)
    if settings.api_base:
        kwargs["api_base"] = settings.api_base
    if stop:
        kwargs["stop"] = stop
    try:
        resp = litellm.text_completion(**kwargs)
    except Exception as e:  # noqa: BLE001 - reported as the model layer reports it
        raise ModelError(f"{type(e).__name__}: {str(e)[:500]}") from e
    return resp.choices[0].text or ""


__all__ = ["local_model", "LocalOptions", "LocalBackendError", "fim_prompt", "complete_fim", "is_local",
           "CHAT_TEMPLATE"]
