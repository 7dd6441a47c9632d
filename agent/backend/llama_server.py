"""llama-cpp-python's OpenAI-compatible server with DeepSeek-Coder's sampling defaults.

    python -m dsfix.agent.backend.llama_server --model FILE.gguf [llama_cpp.server options]

It is `python -m llama_cpp.server` with one change: a request that names no `repeat_penalty` gets
1.0 (none) instead of llama-cpp-python's 1.1. DeepSeek-Coder-V2's generation config has no repetition
penalty, and code repeats itself by nature (names, indentation, closing brackets): a penalty makes
greedy decoding drift from the model's own choice. A client can still send `repeat_penalty`.
"""
from __future__ import annotations


def patch_defaults(repeat_penalty: float = 1.0) -> None:
    from llama_cpp.server import types
    for model in (types.CreateCompletionRequest, types.CreateChatCompletionRequest):
        model.model_fields["repeat_penalty"].default = repeat_penalty
        model.model_rebuild(force=True)


def main() -> None:
    patch_defaults()
    from llama_cpp.server.__main__ import main as serve  # builds its routes from the patched models
    serve()


if __name__ == "__main__":
    main()
