"""Cost of one call from its usage, counting prompt-cache hits at their own (much lower) price.

litellm's own cost helpers bill cached DeepSeek tokens as misses in several
versions, which overstates cost several times; so the arithmetic lives here.
Prices dsfix knows itself (``KNOWN``) come before litellm's map, which lags behind new models.
"""
from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict


class Price(BaseModel):
    """USD per million tokens, for models litellm has no price for (or to override it)."""
    model_config = ConfigDict(extra="forbid")
    input: float
    output: float
    cache_hit: float | None = None


# USD per million tokens, DeepSeek's list prices (api-docs.deepseek.com, quick_start/pricing).
# Where DeepSeek bills less (off-peak hours), the reported cost is an upper bound; `model.price`
# overrides these.
KNOWN: dict[str, Price] = {
    "deepseek/deepseek-v4-flash": Price(input=0.14, output=0.28, cache_hit=0.0028),
    "deepseek/deepseek-v4-pro": Price(input=0.435, output=0.87, cache_hit=0.003625),
}


@dataclass
class Usage:
    prompt: int = 0
    completion: int = 0     # includes reasoning tokens (OpenAI's convention, which DeepSeek follows)
    cache_hit: int = 0      # prompt tokens served from the provider's cache
    reasoning: int = 0      # of the completion tokens, those spent thinking

    def __add__(self, o: "Usage") -> "Usage":
        return Usage(self.prompt + o.prompt, self.completion + o.completion, self.cache_hit + o.cache_hit,
                     self.reasoning + o.reasoning)


def _field(obj, key: str):
    if obj is None:
        return None
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def usage_from_response(usage) -> Usage:
    """Read usage from a litellm response, whichever field the provider filled."""
    if usage is None:
        return Usage()
    prompt, completion = _field(usage, "prompt_tokens") or 0, _field(usage, "completion_tokens") or 0
    hit = _field(usage, "prompt_cache_hit_tokens")  # DeepSeek's native field
    if hit is None:
        hit = _field(_field(usage, "prompt_tokens_details"), "cached_tokens")
    reasoning = _field(_field(usage, "completion_tokens_details"), "reasoning_tokens") or 0
    # A provider that counts reasoning apart from the completion still bills it as output.
    completion = max(int(completion), int(reasoning))
    return Usage(int(prompt), completion, int(hit or 0), int(reasoning))


def price_for(model: str, override: Price | None = None) -> Price | None:
    """Per-million-token prices, or None when nobody knows them."""
    if override is not None:
        return override
    known = KNOWN.get(model if "/" in model else f"deepseek/{model}")   # a bare name routes to DeepSeek
    if known is not None:
        return known
    import litellm  # imported late: it is slow to import
    info = litellm.model_cost.get(model)
    if info is None and "/" in model:
        info = litellm.model_cost.get(model.split("/", 1)[1])
    if not info or info.get("input_cost_per_token") is None:
        return None
    hit = info.get("cache_read_input_token_cost") or info.get("input_cost_per_token_cache_hit")
    m = 1e6
    return Price(input=info["input_cost_per_token"] * m, output=(info.get("output_cost_per_token") or 0) * m,
                 cache_hit=None if hit is None else hit * m)


def cost_of(usage: Usage, price: Price | None) -> float | None:
    if price is None:
        return None
    hit_price = price.input if price.cache_hit is None else price.cache_hit
    miss = max(usage.prompt - usage.cache_hit, 0)
    return (miss * price.input + usage.cache_hit * hit_price + usage.completion * price.output) / 1e6
