"""The reference engine's HTTP routes (agent/backend/hf_server.py), served for real on loopback
over a stand-in engine that answers fixed text: the parity tests cover the model itself but need
torch, so without it the routes would go unchecked."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer

import pytest

from dsfix.agent.backend.hf_server import make_handler


class WordsEngine:
    """prompt_ids: one id per word; generate: says "a b c", a piece at a time when streaming."""
    ctx = 8

    def prompt_ids(self, body, chat):
        text = " ".join(m["content"] for m in body["messages"]) if chat else body["prompt"]
        return text.split()

    def generate(self, ids, body, on_text=None):
        for piece in ("a", " b", " c"):
            if on_text:
                on_text(piece)
        return "a b c", 3, "stop"


@pytest.fixture
def url():
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(WordsEngine(), "tiny"))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _post(url, path, body):
    req = urllib.request.Request(url + path, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_models_health_and_unknown_routes(url):
    with urllib.request.urlopen(url + "/v1/models", timeout=10) as r:
        assert json.load(r)["data"][0]["id"] == "tiny"
    with urllib.request.urlopen(url + "/health", timeout=10) as r:
        assert json.load(r) == {"status": "ok"}
    assert _post(url, "/v1/embeddings", {})[0] == 404


def test_chat_and_text_completions_with_usage(url):
    code, text = _post(url, "/v1/chat/completions", {"messages": [{"role": "user", "content": "x y"}]})
    reply = json.loads(text)
    assert code == 200 and reply["model"] == "tiny" and reply["choices"][0]["message"]["content"] == "a b c"
    assert reply["usage"] == {"prompt_tokens": 2, "completion_tokens": 3, "total_tokens": 5}
    code, text = _post(url, "/v1/completions", {"prompt": "def f"})
    assert code == 200 and json.loads(text)["choices"][0]["text"] == "a b c"


def test_a_prompt_over_the_context_is_refused_as_openai_does(url):
    code, text = _post(url, "/v1/chat/completions", {"messages": [{"role": "user", "content": "w " * 8}]})
    err = json.loads(text)["error"]
    assert code == 400 and err["code"] == "context_length_exceeded" and "maximum context length is 8" in err["message"]
    assert _post(url, "/v1/chat/completions", {"messages": "no"})[0] == 400


def test_streaming_sends_the_pieces_then_usage_then_done(url):
    code, text = _post(url, "/v1/chat/completions", {"messages": [{"role": "user", "content": "x"}], "stream": True})
    events = [ln[len("data: "):] for ln in text.splitlines() if ln.startswith("data: ")]
    assert code == 200 and events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks) == "a b c"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["usage"]["completion_tokens"] == 3
