"""llama-cpp-python's OpenAI-compatible server with DeepSeek-Coder's sampling defaults.

    python -m dsfix.agent.backend.llama_server --model FILE.gguf [llama_cpp.server options]

It is `python -m llama_cpp.server` with one change: a request that names no `repeat_penalty` gets
1.0 (none) instead of llama-cpp-python's 1.1. DeepSeek-Coder-V2's generation config has no repetition
penalty, and code repeats itself by nature (names, indentation, closing brackets): a penalty makes
greedy decoding drift from the model's own choice. A client can still send `repeat_penalty`.

And on CPUs with AMX (Sapphire Rapids and later) weights are not repacked into ggml's AMX buffers:
the first matrix product from them segfaults there (ggml-org/llama.cpp#20824; seen with
llama-cpp-python 0.3.36 on this project's CI machine, where every quantized model died). Plain CPU
buffers are slower for some quantizations but give the same tokens. DSFIX_LLAMA_REPACK=1 turns
repacking back on.
"""
from __future__ import annotations

import os


def patch_defaults(repeat_penalty: float = 1.0) -> None:
    from llama_cpp.server import types
    for model in (types.CreateCompletionRequest, types.CreateChatCompletionRequest):
        model.model_fields["repeat_penalty"].default = repeat_penalty
        model.model_rebuild(force=True)


def has_amx(cpuinfo: str = "/proc/cpuinfo") -> bool:
    try:
        flags = open(cpuinfo, encoding="utf-8", errors="replace").read().split()
    except OSError:
        return False
    return "amx_int8" in flags or "amx_tile" in flags


def no_weight_repacking() -> None:
    """Every model loaded from here on keeps its weights in plain CPU buffers."""
    from llama_cpp import llama_cpp as lib
    default = lib.llama_model_default_params

    def params():
        p = default()
        p.use_extra_bufts = False
        return p
    lib.llama_model_default_params = params   # llama.Llama looks it up on the module at load time


def main() -> None:
    patch_defaults()
    if has_amx() and os.environ.get("DSFIX_LLAMA_REPACK") != "1":
        no_weight_repacking()
    from llama_cpp.server.__main__ import main as serve  # builds its routes from the patched models
    serve()


if __name__ == "__main__":
    main()
