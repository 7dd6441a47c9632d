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


def test_deepseek_v4_prices_are_dsfix_own_with_cache_hits():
    flash, pro = price_for("deepseek/deepseek-v4-flash"), price_for("deepseek/deepseek-v4-pro")
    assert (flash.input, flash.cache_hit, flash.output) == (0.14, 0.0028, 0.28)
    assert (pro.input, pro.cache_hit, pro.output) == (0.435, 0.003625, 0.87)
    assert price_for("deepseek-v4-flash") == flash            # a bare name is routed to DeepSeek
    assert price_for("deepseek/deepseek-v4-flash", Price(input=1, output=1)).input == 1   # override wins


def test_reasoning_tokens_are_recorded_and_billed_as_output():
    u = usage_from_response({"prompt_tokens": 1000, "completion_tokens": 600,
                             "completion_tokens_details": {"reasoning_tokens": 500}})
    assert (u.completion, u.reasoning) == (600, 500)
    # a provider counting reasoning apart from the completion: billed all the same
    u = usage_from_response({"prompt_tokens": 10, "completion_tokens": 5,
                             "completion_tokens_details": {"reasoning_tokens": 50}})
    assert u.completion == 50 and cost_of(u, Price(input=0, output=1e6)) == 50
