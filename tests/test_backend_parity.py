"""The reference engine: the same tiny DeepSeek-V2 weights in transformers' native DeepseekV2 and in
llama.cpp give the same greedy tokens; and the transformers server dsfix starts answers like
llama.cpp's. Needs torch (CPU build), transformers, gguf and llama-cpp-python; skipped where they are
missing except in CI (CI set), where that is a failure.
"""
from __future__ import annotations


import pytest

from dsfix.agent.backend import LocalOptions, local_model
from backendkit import need
from dsfix.agent.config import ModelSettings
from dsfix.agent.model import LitellmModel


def _need(*modules: str) -> None:
    need(*modules, install="pip install 'dsfix[local]' torch transformers", what="the reference engine")


PROMPT = "def add(a, b):\n    return a - b\nclass Item:\n    def value(self):\n"


@pytest.mark.parametrize("yarn", [False, True], ids=["plain-rope", "yarn-rope"])
def test_transformers_and_llama_cpp_agree_on_greedy_tokens(tmp_path, yarn):
    _need("torch", "transformers", "gguf", "llama_cpp")
    import torch
    from llama_cpp import Llama
    from tinymodel import TinyConfig, tiny_tokenizer, tiny_vocab, tiny_weights, to_transformers, write_gguf
    cfg = TinyConfig() if yarn else TinyConfig(yarn=None)
    weights = tiny_weights(cfg, len(tiny_vocab()[0]), seed=7)
    path = write_gguf(tmp_path / "tiny.gguf", cfg, weights)
    ids = tiny_tokenizer()(PROMPT)["input_ids"]
    hf = to_transformers(cfg, weights)
    with torch.no_grad():
        out = hf.generate(torch.tensor([ids]), max_new_tokens=24, do_sample=False, eos_token_id=None,
                          pad_token_id=0)[0, len(ids):].tolist()
    llm = Llama(model_path=str(path), n_ctx=256, n_threads=2, verbose=False)
    assert llm.tokenize(PROMPT.encode(), special=True) == ids  # same tokenizer, BOS included
    got = []
    for tok in llm.generate(ids, temp=0.0, top_k=1, reset=True):
        got.append(tok)
        if len(got) == 24:
            break
    llm.close()
    assert got == out


def test_transformers_server_answers_like_llama_cpp(tmp_path):
    _need("torch", "transformers", "gguf", "llama_cpp", "uvicorn")
    from tinymodel import TinyConfig, write_tiny_checkpoint, write_gguf, tiny_weights, tiny_vocab
    cfg = TinyConfig(yarn=None)
    ckpt = write_tiny_checkpoint(tmp_path / "ckpt", seed=3, cfg=cfg)
    gguf = write_gguf(tmp_path / "tiny.gguf", cfg, tiny_weights(cfg, len(tiny_vocab()[0]), seed=3))
    msgs = [{"role": "user", "content": "def add(a, b): return a - b"}]
    answers = {}
    for engine, ref in (("transformers", ckpt), ("llama.cpp", gguf)):
        with local_model(ModelSettings(name=f"local/{ref}", max_tokens=12, retries=0, timeout=120),
                         LocalOptions(engine=engine, ctx=512, start_timeout=180)) as m:
            model = LitellmModel(m)
            reply = model.query(msgs)
            answers[engine] = (reply.content, reply.usage.prompt, reply.usage.completion, reply.cost)
            if engine == "transformers":
                import litellm
                stream = litellm.completion(model=m.name, api_base=m.api_base, messages=msgs, max_tokens=12,
                                            temperature=0.0, stream=True)
                assert "".join(c.choices[0].delta.content or "" for c in stream) == reply.content
                from dsfix.agent.model import ModelError
                with pytest.raises(ModelError, match="maximum context length"):
                    model.query([{"role": "user", "content": "x = 1\n" * 400}])
    assert answers["transformers"][3] == answers["llama.cpp"][3] == 0.0
    # same prompt tokens (llama.cpp may add BOS before the template's own) and the same greedy text
    assert answers["transformers"][1] in (answers["llama.cpp"][1], answers["llama.cpp"][1] - 1)
    assert answers["transformers"][0] == answers["llama.cpp"][0], answers
