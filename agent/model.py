"""The model layer: any litellm model, with retries, usage and cost accounting."""
from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass, field
from typing import Protocol

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the price map at import

from .config import ModelSettings
from .errors import ModelError
from .pricing import Usage, cost_of, price_for, usage_from_response


@dataclass
class Reply:
    content: str                    # the answer only: what dsfix parses
    usage: Usage
    cost: float | None
    seconds: float
    reasoning: str = ""             # a thinking model's reasoning: recorded, never parsed


# Models served without a reasoning parser put their thinking in the content itself.
_THINK = re.compile(r"^\s*<think>(.*?)</think>\s*", re.S)


def split_reasoning(message) -> tuple[str, str]:
    """(answer, reasoning) of a response message: DeepSeek's ``reasoning_content`` field, or a
    leading ``<think>...</think>`` block in the content."""
    content = getattr(message, "content", None) or ""
    reasoning = getattr(message, "reasoning_content", None) or ""
    if m := _THINK.match(content):
        reasoning = (reasoning + "\n" + m.group(1)).strip() if reasoning else m.group(1).strip()
        content = content[m.end():]
    return content, reasoning


@dataclass
class RunTotals:
    calls: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0
    cost_known: bool = True


class Model(Protocol):
    name: str
    totals: RunTotals

    def query(self, messages: list[dict], temperature: float | None = None) -> Reply: ...


def _retryable(exc: Exception) -> bool:
    import litellm
    kinds = (litellm.RateLimitError, litellm.Timeout, litellm.APIConnectionError,
             litellm.InternalServerError, litellm.ServiceUnavailableError)
    return isinstance(exc, kinds) or getattr(exc, "status_code", 0) in (429, 500, 502, 503, 504)


def thinks(cfg: ModelSettings) -> bool:
    """Whether the model reasons before answering (its reasoning then shares max_tokens)."""
    return cfg.thinking is True or (cfg.thinking is None and cfg.name.startswith(("deepseek/deepseek-v4",
                                                                                   "deepseek-v4")))


def max_tokens(cfg: ModelSettings) -> int:
    return cfg.max_tokens or (16384 if thinks(cfg) else 4096)


def thinking_kwargs(cfg: ModelSettings) -> dict:
    """Request options for thinking mode. DeepSeek takes ``thinking`` and ``reasoning_effort`` in
    the request body (OpenAI format); other providers get litellm's ``reasoning_effort``."""
    deepseek = cfg.name.startswith(("deepseek/", "deepseek-"))
    if deepseek:
        body = {}
        if cfg.thinking is not None:
            body["thinking"] = {"type": "enabled" if cfg.thinking else "disabled"}
        if cfg.reasoning_effort and cfg.thinking is not False:
            body["reasoning_effort"] = cfg.reasoning_effort
        return {"extra_body": body} if body else {}
    return {"reasoning_effort": cfg.reasoning_effort} if cfg.reasoning_effort else {}


class LitellmModel:
    def __init__(self, cfg: ModelSettings, sleep=time.sleep):
        from . import scripted  # registers the scripted provider used in tests and demos
        scripted.register()
        import litellm
        litellm.suppress_debug_info = True  # its banners would clutter the user's terminal
        self.cfg = cfg
        self.name = cfg.name
        self.totals = RunTotals()
        self._price = price_for(cfg.name, cfg.price)
        self._sleep = sleep

    def _call(self, messages: list[dict], temperature: float | None = None):
        import litellm
        temperature = self.cfg.temperature if temperature is None else temperature
        kwargs = dict(model=self.cfg.name, messages=messages, temperature=temperature,
                      max_tokens=max_tokens(self.cfg), timeout=self.cfg.timeout, num_retries=0)
        if self.cfg.api_base:
            kwargs["api_base"] = self.cfg.api_base
        kwargs.update(thinking_kwargs(self.cfg))
        return litellm.completion(**kwargs)

    def query(self, messages: list[dict], temperature: float | None = None) -> Reply:
        """One answer; ``temperature`` overrides the configured one (candidates are sampled)."""
        t0, wait = time.monotonic(), self.cfg.backoff
        for attempt in range(self.cfg.retries + 1):
            try:
                resp = self._call(messages, temperature)
                break
            except Exception as e:  # noqa: BLE001 - classified below
                if attempt == self.cfg.retries or not _retryable(e):
                    raise ModelError(f"{type(e).__name__}: {str(e)[:500]}") from e
                self._sleep(wait)
                wait *= 2
        content, reasoning = split_reasoning(resp.choices[0].message)
        usage = usage_from_response(getattr(resp, "usage", None))
        cost = cost_of(usage, self._price)
        self._account(usage, cost)
        return Reply(content, usage, cost, round(time.monotonic() - t0, 3), reasoning)

    def _account(self, usage: Usage, cost: float | None) -> None:
        t = self.totals
        t.calls += 1
        t.usage = t.usage + usage
        if cost is None:
            t.cost_known = False
        else:
            t.cost += cost
