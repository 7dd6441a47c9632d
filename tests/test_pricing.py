from dsfix.agent.config import Price
from dsfix.agent.pricing import Usage, cost_of, price_for, usage_from_response


def test_deepseek_cache_hits_billed_at_hit_price():
    p = price_for("deepseek/deepseek-chat")
    assert p is not None and p.cache_hit is not None and p.cache_hit < p.input
    usage = usage_from_response({"prompt_tokens": 100_000, "completion_tokens": 1_000,
                                 "prompt_cache_hit_tokens": 90_000, "prompt_cache_miss_tokens": 10_000})
    assert usage == Usage(100_000, 1_000, 90_000)
    with_cache = cost_of(usage, p)
    naive = cost_of(Usage(100_000, 1_000, 0), p)
    expected = (10_000 * p.input + 90_000 * p.cache_hit + 1_000 * p.output) / 1e6
    assert abs(with_cache - expected) < 1e-12
    assert naive > 3 * with_cache  # ignoring the cache overstates this run several times


def test_openai_style_cached_tokens_field():
    u = usage_from_response({"prompt_tokens": 10, "completion_tokens": 2, "prompt_tokens_details": {"cached_tokens": 4}})
    assert u.cache_hit == 4


def test_unknown_model_has_unknown_cost_and_override_works():
    assert price_for("ollama/deepseek-coder-v2:16b-made-up") is None
    assert cost_of(Usage(10, 10, 0), None) is None
    p = price_for("whatever/model", Price(input=1.0, output=2.0))
    assert cost_of(Usage(1_000_000, 1_000_000, 0), p) == 3.0
