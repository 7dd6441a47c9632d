"""The model layer, driven by the scripted model (a litellm custom provider that replays answers)."""
import json

import pytest

from dsfix.agent.config import ModelSettings, Price
from dsfix.agent.model import LitellmModel, ModelError


def scripted(tmp_path, responses, **kw) -> LitellmModel:
    path = tmp_path / f"script{len(list(tmp_path.iterdir()))}.json"
    path.write_text(json.dumps({"responses": responses}))
    waits = []
    m = LitellmModel(ModelSettings(name=f"scripted/{path}", **kw), sleep=waits.append)
    m.waits = waits
    return m


def test_retries_with_backoff_then_succeeds(tmp_path):
    m = scripted(tmp_path, [{"error": "rate_limit"}, {"error": "server"}, {"error": "timeout"}, "done"], backoff=1.0)
    reply = m.query([{"role": "user", "content": "hi"}])
    assert reply.content == "done" and m.waits == [1.0, 2.0, 4.0] and m.totals.calls == 1


def test_gives_up_after_retries_and_fails_fast_on_fatal(tmp_path):
    m = scripted(tmp_path, [{"error": "server"}] * 5, retries=2)
    with pytest.raises(ModelError, match="InternalServerError"):
        m.query([{"role": "user", "content": "hi"}])
    assert len(m.waits) == 2
    m = scripted(tmp_path, [{"error": "fatal"}])
    with pytest.raises(ModelError):
        m.query([{"role": "user", "content": "hi"}])
    assert m.waits == []


def test_cost_accounting_known_and_unknown(tmp_path):
    usage = {"prompt_tokens": 1_000_000, "completion_tokens": 1_000_000, "cached_tokens": 500_000}
    m = scripted(tmp_path, [{"content": "a", "usage": usage}], price=Price(input=2.0, output=4.0, cache_hit=0.2))
    r = m.query([{"role": "user", "content": "x"}])
    assert r.cost == pytest.approx(1.0 + 0.1 + 4.0) and m.totals.cost_known
    m = scripted(tmp_path, [{"content": "a", "usage": usage}])
    r = m.query([{"role": "user", "content": "x"}])
    assert r.cost is None and not m.totals.cost_known and m.totals.usage.prompt == 1_000_000


def test_thinking_reply_keeps_reasoning_apart_from_the_answer(tmp_path):
    """A scripted reply shaped as DeepSeek's thinking mode returns it: `reasoning_content` beside the
    answer. The answer alone is parsed; the reasoning is kept; its tokens count toward cost."""
    thought = "The user wants a diff. ```diff\n--- a/wrong.py\n+++ b/wrong.py\n``` no, not that one."
    answer = "```diff\n--- a/right.py\n+++ b/right.py\n@@ -1 +1 @@\n-a\n+b\n```"
    m = scripted(tmp_path, [{"content": answer, "reasoning_content": thought,
                             "usage": {"prompt_tokens": 1000, "completion_tokens": 1500, "reasoning_tokens": 1400}}],
                 price=Price(input=0.14, output=0.28, cache_hit=0.0028))
    r = m.query([{"role": "user", "content": "fix it"}])
    assert r.content == answer and r.reasoning == thought
    assert r.usage.reasoning == 1400 and r.cost == pytest.approx((1000 * 0.14 + 1500 * 0.28) / 1e6)
    from dsfix.agent.blocks import extract_block
    assert "right.py" in extract_block(r.content, "diff")


def test_think_tags_in_content_are_reasoning_not_answer(tmp_path):
    m = scripted(tmp_path, ["<think>maybe ```python\nprint('no')\n```</think>\n```python\nprint('yes')\n```"])
    r = m.query([{"role": "user", "content": "x"}])
    assert "no" not in r.content and "print('yes')" in r.content and "print('no')" in r.reasoning


def test_thinking_settings_become_deepseek_request_options():
    from dsfix.agent.model import thinking_kwargs
    assert thinking_kwargs(ModelSettings()) == {}                      # the provider's default
    off = thinking_kwargs(ModelSettings(thinking=False, reasoning_effort="max"))
    assert off == {"extra_body": {"thinking": {"type": "disabled"}}}   # no effort without thinking
    on = thinking_kwargs(ModelSettings(thinking=True, reasoning_effort="max"))
    assert on == {"extra_body": {"thinking": {"type": "enabled"}, "reasoning_effort": "max"}}
    assert thinking_kwargs(ModelSettings(name="openai/o4-mini", reasoning_effort="low")) == {"reasoning_effort": "low"}
