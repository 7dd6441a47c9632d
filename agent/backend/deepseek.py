"""DeepSeek-Coder-V2 specifics: default weights, chat template, special tokens, fill-in-the-middle.

The GGUF files carry the chat template and the stop (end-of-generation) tokens in their metadata;
llama.cpp reads them from there, so nothing here overrides them at serve time. The template below
is DeepSeek-Coder-V2's own (tokenizer_config.json of DeepSeek-Coder-V2-Lite-Instruct), used by the
tiny test model (tests/tinymodel.py) and by the transformers engine when a checkpoint lacks one.
"""
from __future__ import annotations

BOS = "<｜begin▁of▁sentence｜>"
EOS = "<｜end▁of▁sentence｜>"
FIM_BEGIN = "<｜fim▁begin｜>"
FIM_HOLE = "<｜fim▁hole｜>"
FIM_END = "<｜fim▁end｜>"

# Hugging Face repos of the GGUF quantizations (default: the instruct model, Q4_K_M, about 10.4 GB).
DEFAULT_REPO = "bartowski/DeepSeek-Coder-V2-Lite-Instruct-GGUF"
DEFAULT_QUANT = "Q4_K_M"
ALIASES: dict[str, tuple[str, str]] = {
    # name -> (repo id, filename pattern with {quant})
    "deepseek-coder-v2-lite-instruct": (DEFAULT_REPO, "DeepSeek-Coder-V2-Lite-Instruct-{quant}.gguf"),
    "deepseek-coder-v2-lite-base": ("bartowski/DeepSeek-Coder-V2-Lite-Base-GGUF",
                                    "DeepSeek-Coder-V2-Lite-Base-{quant}.gguf"),
}
DEFAULT_ALIAS = "deepseek-coder-v2-lite-instruct"
# The transformers and vLLM engines load the original safetensors checkpoints.
DEFAULT_HF_CHECKPOINT = "deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct"
CHECKPOINTS: dict[str, str] = {
    "deepseek-coder-v2-lite-instruct": DEFAULT_HF_CHECKPOINT,
    "deepseek-coder-v2-lite-base": "deepseek-ai/DeepSeek-Coder-V2-Lite-Base",
}

CHAT_TEMPLATE = (
    "{% if not add_generation_prompt is defined %}{% set add_generation_prompt = false %}{% endif %}"
    "{{ bos_token }}{% for message in messages %}"
    "{% if message['role'] == 'user' %}{{ 'User: ' + message['content'] + '\n\n' }}"
    "{% elif message['role'] == 'assistant' %}{{ 'Assistant: ' + message['content'] + eos_token }}"
    "{% elif message['role'] == 'system' %}{{ message['content'] + '\n\n' }}"
    "{% endif %}{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}"
)


def fim_prompt(prefix: str, suffix: str) -> str:
    """DeepSeek-Coder's fill-in-the-middle prompt: the model writes what goes between prefix and suffix."""
    return f"{FIM_BEGIN}{prefix}{FIM_HOLE}{suffix}{FIM_END}"


def render_chat(messages: list[dict], add_generation_prompt: bool = True) -> str:
    """The chat template applied in Python (what the engines do from the model's own metadata)."""
    import jinja2
    env = jinja2.Environment(autoescape=False)
    return env.from_string(CHAT_TEMPLATE).render(messages=messages, bos_token=BOS, eos_token=EOS,
                                                 add_generation_prompt=add_generation_prompt)
