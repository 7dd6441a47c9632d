"""Cost of one call from its usage, counting prompt-cache hits at their own (much lower) price.

litellm's own cost helpers bill cached DeepSeek tokens as misses in several
versions, which overstates cost several times; so the arithmetic lives here.
"""
from __future__ import annotations

from dataclasses import dataclass

from .config import Price


@dataclass
class Usage:
    prompt: int = 0
    completion: int = 0
    cache_hit: int = 0      # prompt tokens served from the provider's cache

    def __add__(self, o: "Usage") -> "Usage":
        return Usage(self.prompt + o.prompt, self.completion + o.completion, self.cache_hit + o.cache_hit)


def usage_from_response(usage) -> Usage:
    """Read usage from a litellm response, whichever field the provider filled."""
    if usage is None:
        return Usage()
    get = (lambda k: usage.get(k)) if isinstance(usage, dict) else (lambda k: getattr(usage, k, None))
    prompt, completion = get("prompt_tokens") or 0, get("completion_tokens") or 0
    hit = get("prompt_cache_hit_tokens")  # DeepSeek's native field
    if hit is None:
        details = get("prompt_tokens_details")
        if details is not None:
            hit = details.get("cached_tokens") if isinstance(details, dict) else getattr(details, "cached_tokens", None)
    return Usage(int(prompt), int(completion), int(hit or 0))


def price_for(model: str, override: Price | None = None) -> Price | None:
    """Per-million-token prices, or None when nobody knows them."""
    if override is not None:
        return override
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
