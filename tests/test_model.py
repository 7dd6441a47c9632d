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
