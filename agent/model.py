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
    tool_calls: list[ToolCall] = field(default_factory=list)   # asked for with ``tools``
    # the provider's own reasoning_content field, as sent: DeepSeek's thinking mode requires it back
    # on an assistant message that made tool calls, in every later request
    reasoning_field: str = ""


@dataclass
class ToolCall:
    id: str
    name: str
    arguments: str                  # JSON text as the model wrote it: it may not parse


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


def tool_calls_of(message) -> list[ToolCall]:
    """The tool calls of a response message (litellm's objects), with their raw argument text."""
    import json
    out = []
    for i, c in enumerate(getattr(message, "tool_calls", None) or []):
        fn = getattr(c, "function", None)
        args = getattr(fn, "arguments", None) or ""
        if not isinstance(args, str):   # some servers send the object itself
            args = json.dumps(args)
        out.append(ToolCall(id=getattr(c, "id", None) or f"call_{i}", name=getattr(fn, "name", None) or "",
                            arguments=args))
    return out


def supports_tool_calls(cfg: ModelSettings) -> bool:
    """Whether the model takes tools: ``model.tool_calls`` when set, else litellm's model map."""
    if cfg.tool_calls is not None:
        return cfg.tool_calls
    import litellm
    litellm.suppress_debug_info = True   # an unknown model's "Provider List" banner is noise here
    names = [cfg.name] + ([f"deepseek/{cfg.name}"] if cfg.name.startswith("deepseek-") else [])
    for name in names:   # a bare DeepSeek name is routed to DeepSeek (agent.pricing does the same)
        try:
            if litellm.supports_function_calling(model=name):
                return True
        except Exception:  # noqa: BLE001 - a model litellm cannot place: no tools, plain commands
            pass
    return False


@dataclass
class RunTotals:
    calls: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0
    cost_known: bool = True


class Model(Protocol):
    name: str
    totals: RunTotals

    def query(self, messages: list[dict], temperature: float | None = None,
              tools: list[dict] | None = None) -> Reply: ...


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

    def _call(self, messages: list[dict], temperature: float | None = None, tools: list[dict] | None = None):
        import litellm
        temperature = self.cfg.temperature if temperature is None else temperature
        kwargs = dict(model=self.cfg.name, messages=messages, temperature=temperature,
                      max_tokens=max_tokens(self.cfg), timeout=self.cfg.timeout, num_retries=0)
        if tools:
            kwargs["tools"] = tools
        if self.cfg.api_base:
            kwargs["api_base"] = self.cfg.api_base
        kwargs.update(thinking_kwargs(self.cfg))
        return litellm.completion(**kwargs)

    def query(self, messages: list[dict], temperature: float | None = None,
              tools: list[dict] | None = None) -> Reply:
        """One answer; ``temperature`` overrides the configured one (candidates are sampled);
        ``tools`` (OpenAI function schemas) are offered, and the calls the model makes returned."""
        t0, wait = time.monotonic(), self.cfg.backoff
        for attempt in range(self.cfg.retries + 1):
            try:
                resp = self._call(messages, temperature, tools)
                break
            except Exception as e:  # noqa: BLE001 - classified below
                if attempt == self.cfg.retries or not _retryable(e):
                    raise ModelError(f"{type(e).__name__}: {str(e)[:500]}") from e
                self._sleep(wait)
                wait *= 2
        message = resp.choices[0].message
        content, reasoning = split_reasoning(message)
        usage = usage_from_response(getattr(resp, "usage", None))
        cost = cost_of(usage, self._price)
        self._account(usage, cost)
        return Reply(content, usage, cost, round(time.monotonic() - t0, 3), reasoning,
                     tool_calls=tool_calls_of(message),
                     reasoning_field=getattr(message, "reasoning_content", None) or "")

    def _account(self, usage: Usage, cost: float | None) -> None:
        t = self.totals
        t.calls += 1
        t.usage = t.usage + usage
        if cost is None:
            t.cost_known = False
        else:
            t.cost += cost
