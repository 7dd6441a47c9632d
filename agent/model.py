"""The model layer: any litellm model, with retries, usage and cost accounting."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Protocol

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # never fetch the price map at import

from .config import ModelSettings
from .pricing import Usage, cost_of, price_for, usage_from_response


class ModelError(RuntimeError):
    """The model could not answer (after retries): ends the run cleanly."""


@dataclass
class Reply:
    content: str
    usage: Usage
    cost: float | None
    seconds: float


@dataclass
class RunTotals:
    calls: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0
    cost_known: bool = True


class Model(Protocol):
    name: str
    totals: RunTotals

    def query(self, messages: list[dict]) -> Reply: ...


def _retryable(exc: Exception) -> bool:
    import litellm
    kinds = (litellm.RateLimitError, litellm.Timeout, litellm.APIConnectionError,
             litellm.InternalServerError, litellm.ServiceUnavailableError)
    return isinstance(exc, kinds) or getattr(exc, "status_code", 0) in (429, 500, 502, 503, 504)


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

    def _call(self, messages: list[dict]):
        import litellm
        kwargs = dict(model=self.cfg.name, messages=messages, temperature=self.cfg.temperature,
                      max_tokens=self.cfg.max_tokens, timeout=self.cfg.timeout, num_retries=0)
        if self.cfg.api_base:
            kwargs["api_base"] = self.cfg.api_base
        return litellm.completion(**kwargs)

    def query(self, messages: list[dict]) -> Reply:
        t0, wait = time.monotonic(), self.cfg.backoff
        for attempt in range(self.cfg.retries + 1):
            try:
                resp = self._call(messages)
                break
            except Exception as e:  # noqa: BLE001 - classified below
                if attempt == self.cfg.retries or not _retryable(e):
                    raise ModelError(f"{type(e).__name__}: {str(e)[:500]}") from e
                self._sleep(wait)
                wait *= 2
        content = resp.choices[0].message.content or ""
        usage = usage_from_response(getattr(resp, "usage", None))
        cost = cost_of(usage, self._price)
        self._account(usage, cost)
        return Reply(content, usage, cost, round(time.monotonic() - t0, 3))

    def _account(self, usage: Usage, cost: float | None) -> None:
        t = self.totals
        t.calls += 1
        t.usage = t.usage + usage
        if cost is None:
            t.cost_known = False
        else:
            t.cost += cost
