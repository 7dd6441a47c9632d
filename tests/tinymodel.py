"""A tiny random-weight DeepSeek-V2 model (architecture `deepseek2`) for tests and benchmarks.

It has DeepSeek-Coder-V2's real structure - multi-head latent attention (q without LoRA, a compressed
KV latent), a dense first layer then mixture-of-experts layers with shared experts, interleaved RoPE
with optional YaRN scaling - at a size that loads in milliseconds. The same weights can be written as
a GGUF file (for llama.cpp) and loaded into transformers' native DeepseekV2 (for parity checks).
The byte-level BPE vocabulary is ASCII-only (printable characters, space, tab, newline, a few merges)
plus DeepSeek's special tokens, and the GGUF carries DeepSeek-Coder-V2's chat template.

Needs numpy and gguf (in the `dsfix[local]` extra); transformers/torch only for `to_transformers`.
Test scaffolding (also used by bench/backend.py): under tests/, so no wheel ships it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dsfix.agent.backend.deepseek import BOS, CHAT_TEMPLATE, EOS, FIM_BEGIN, FIM_END, FIM_HOLE


@dataclass
class TinyConfig:
    hidden_size: int = 64
    intermediate_size: int = 128          # the dense (first) layer's MLP
    moe_intermediate_size: int = 32
    num_hidden_layers: int = 2
    first_k_dense_replace: int = 1
    num_attention_heads: int = 4
    kv_lora_rank: int = 32
    qk_nope_head_dim: int = 16
    qk_rope_head_dim: int = 8
    v_head_dim: int = 16
    n_routed_experts: int = 4
    num_experts_per_tok: int = 2
    n_shared_experts: int = 1
    routed_scaling_factor: float = 1.0
    rms_norm_eps: float = 1e-6
    rope_theta: float = 10000.0
    context_length: int = 4096            # trained context (with YaRN: original * factor)
    yarn: dict | None = field(default_factory=lambda: {
        "factor": 4.0, "original_max_position_embeddings": 1024, "beta_fast": 32.0, "beta_slow": 1.0,
        "mscale": 0.707, "mscale_all_dim": 0.707})


# GPT-2 byte-level spellings of the ASCII characters the vocabulary holds
_SPACE, _NL, _TAB = "\u0120", "\u010a", "\u0109"
_WORDS = ["def", "return", "self", "import", "User", "Assistant", "print", "class", "None", "True"]


def tiny_vocab() -> tuple[list[str], list[str], list[int]]:
    """(tokens, merges, token types) - ASCII-only byte-level BPE with DeepSeek's special tokens."""
    tokens = [chr(c) for c in range(0x21, 0x7F)] + [_SPACE, _NL, _TAB]
    merges: list[str] = []
    for word in [_SPACE + _SPACE, _SPACE * 4, _SPACE + "="] + _WORDS + [_SPACE + w for w in _WORDS]:
        cur = word[0]
        for ch in word[1:]:
            new = cur + ch
            if new not in tokens:
                tokens.append(new)
                merges.append(f"{cur} {ch}")
            cur = new
    types = [1] * len(tokens)  # NORMAL
    for special in (BOS, EOS, FIM_HOLE, FIM_BEGIN, FIM_END):
        tokens.append(special)
        types.append(3)  # CONTROL
    return tokens, merges, types


def tiny_weights(cfg: TinyConfig, vocab_size: int, seed: int = 0) -> dict:
    """Random weights under transformers' DeepseekV2 names (float32 numpy arrays)."""
    import numpy as np
    rng = np.random.default_rng(seed)
    H, nh = cfg.hidden_size, cfg.num_attention_heads
    qk = cfg.qk_nope_head_dim + cfg.qk_rope_head_dim

    def lin(out_dim, in_dim, *lead, gain=1.0):
        return (rng.standard_normal((*lead, out_dim, in_dim)) * gain / np.sqrt(in_dim)).astype(np.float32)

    def norm(n):
        return (1.0 + 0.1 * rng.standard_normal(n)).astype(np.float32)

    w = {"model.embed_tokens.weight": rng.standard_normal((vocab_size, H)).astype(np.float32),
         "model.norm.weight": norm(H),
         "lm_head.weight": lin(vocab_size, H, gain=4.0)}   # clear margins: greedy picks are stable
    for i in range(cfg.num_hidden_layers):
        p = f"model.layers.{i}."
        w[p + "input_layernorm.weight"] = norm(H)
        w[p + "post_attention_layernorm.weight"] = norm(H)
        w[p + "self_attn.q_proj.weight"] = lin(nh * qk, H)
        w[p + "self_attn.kv_a_proj_with_mqa.weight"] = lin(cfg.kv_lora_rank + cfg.qk_rope_head_dim, H)
        w[p + "self_attn.kv_a_layernorm.weight"] = norm(cfg.kv_lora_rank)
        w[p + "self_attn.kv_b_proj.weight"] = lin(nh * (cfg.qk_nope_head_dim + cfg.v_head_dim), cfg.kv_lora_rank)
        w[p + "self_attn.o_proj.weight"] = lin(H, nh * cfg.v_head_dim)
        if i < cfg.first_k_dense_replace:
            w[p + "mlp.gate_proj.weight"] = lin(cfg.intermediate_size, H)
            w[p + "mlp.up_proj.weight"] = lin(cfg.intermediate_size, H)
            w[p + "mlp.down_proj.weight"] = lin(H, cfg.intermediate_size)
        else:
            E, I, S = cfg.n_routed_experts, cfg.moe_intermediate_size, cfg.moe_intermediate_size * cfg.n_shared_experts
            w[p + "mlp.gate.weight"] = lin(E, H, gain=3.0)
            w[p + "mlp.experts.gate_proj"] = lin(I, H, E)
            w[p + "mlp.experts.up_proj"] = lin(I, H, E)
            w[p + "mlp.experts.down_proj"] = lin(H, I, E)
            w[p + "mlp.shared_experts.gate_proj.weight"] = lin(S, H)
            w[p + "mlp.shared_experts.up_proj.weight"] = lin(S, H)
            w[p + "mlp.shared_experts.down_proj.weight"] = lin(H, S)
    return w


_GGUF_NAMES = {
    "input_layernorm.weight": "attn_norm.weight", "post_attention_layernorm.weight": "ffn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight", "self_attn.kv_a_proj_with_mqa.weight": "attn_kv_a_mqa.weight",
    "self_attn.kv_a_layernorm.weight": "attn_kv_a_norm.weight", "self_attn.kv_b_proj.weight": "attn_kv_b.weight",
    "self_attn.o_proj.weight": "attn_output.weight", "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight",
    "mlp.gate.weight": "ffn_gate_inp.weight", "mlp.experts.gate_proj": "ffn_gate_exps.weight",
    "mlp.experts.up_proj": "ffn_up_exps.weight", "mlp.experts.down_proj": "ffn_down_exps.weight",
    "mlp.shared_experts.gate_proj.weight": "ffn_gate_shexp.weight",
    "mlp.shared_experts.up_proj.weight": "ffn_up_shexp.weight",
    "mlp.shared_experts.down_proj.weight": "ffn_down_shexp.weight",
}


def _gguf_name(hf: str) -> str:
    top = {"model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
           "lm_head.weight": "output.weight"}
    if hf in top:
        return top[hf]
    _, _, layer, rest = hf.split(".", 3)
    return f"blk.{layer}.{_GGUF_NAMES[rest]}"


def write_gguf(path: Path, cfg: TinyConfig, weights: dict, name: str = "tiny-deepseek-coder-v2") -> Path:
    """Write `weights` as a llama.cpp `deepseek2` GGUF (legacy unsplit kv_b layout, all float32)."""
    import gguf
    tokens, merges, types = tiny_vocab()
    arch = "deepseek2"
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name(name)
    w.add_context_length(cfg.context_length)
    w.add_embedding_length(cfg.hidden_size)
    w.add_block_count(cfg.num_hidden_layers)
    w.add_feed_forward_length(cfg.intermediate_size)
    w.add_head_count(cfg.num_attention_heads)
    w.add_head_count_kv(cfg.num_attention_heads)
    w.add_rope_freq_base(cfg.rope_theta)
    w.add_layer_norm_rms_eps(cfg.rms_norm_eps)
    w.add_vocab_size(len(tokens))
    w.add_q_lora_rank(0)
    w.add_kv_lora_rank(cfg.kv_lora_rank)
    w.add_key_length(cfg.qk_nope_head_dim + cfg.qk_rope_head_dim)
    w.add_value_length(cfg.v_head_dim)
    w.add_rope_dimension_count(cfg.qk_rope_head_dim)
    w.add_leading_dense_block_count(cfg.first_k_dense_replace)
    w.add_expert_feed_forward_length(cfg.moe_intermediate_size)
    w.add_expert_count(cfg.n_routed_experts)
    w.add_expert_used_count(cfg.num_experts_per_tok)
    w.add_expert_shared_count(cfg.n_shared_experts)
    w.add_expert_weights_scale(cfg.routed_scaling_factor)
    w.add_expert_weights_norm(False)
    w.add_expert_gating_func(gguf.ExpertGatingFuncType.SOFTMAX)
    if cfg.yarn:
        y = cfg.yarn
        w.add_rope_scaling_type(gguf.RopeScalingType.YARN)
        w.add_rope_scaling_factor(y["factor"])
        w.add_rope_scaling_orig_ctx_len(y["original_max_position_embeddings"])
        w.add_rope_scaling_yarn_log_mul(0.1 * y["mscale_all_dim"])   # as convert_hf_to_gguf writes it
        w.add_rope_scaling_yarn_beta_fast(y["beta_fast"])
        w.add_rope_scaling_yarn_beta_slow(y["beta_slow"])
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("deepseek-coder")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(tokens.index(BOS))
    w.add_eos_token_id(tokens.index(EOS))
    w.add_pad_token_id(tokens.index(EOS))
    w.add_add_bos_token(True)
    w.add_add_eos_token(False)
    w.add_uint32("tokenizer.ggml.fim_pre_token_id", tokens.index(FIM_BEGIN))
    w.add_uint32("tokenizer.ggml.fim_suf_token_id", tokens.index(FIM_HOLE))
    w.add_uint32("tokenizer.ggml.fim_mid_token_id", tokens.index(FIM_END))
    w.add_chat_template(CHAT_TEMPLATE)
    for hf, arr in weights.items():
        w.add_tensor(_gguf_name(hf), arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return Path(path)


def write_tiny_gguf(path: Path | str, seed: int = 0, cfg: TinyConfig | None = None) -> Path:
    """Write the tiny model's GGUF to `path` (about 1 MB, milliseconds)."""
    cfg = cfg or TinyConfig()
    return write_gguf(Path(path), cfg, tiny_weights(cfg, len(tiny_vocab()[0]), seed))


def to_transformers(cfg: TinyConfig, weights: dict):
    """The same model in transformers' native DeepseekV2ForCausalLM (float32, eval mode)."""
    import numpy as np
    import torch
    from transformers import DeepseekV2Config, DeepseekV2ForCausalLM
    tokens = tiny_vocab()[0]
    rope = {"rope_type": "default", "rope_theta": cfg.rope_theta}
    if cfg.yarn:
        rope = {"rope_type": "yarn", "rope_theta": cfg.rope_theta, **cfg.yarn}
    hf_cfg = DeepseekV2Config(
        vocab_size=len(tokens), hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size,
        moe_intermediate_size=cfg.moe_intermediate_size, num_hidden_layers=cfg.num_hidden_layers,
        first_k_dense_replace=cfg.first_k_dense_replace, num_attention_heads=cfg.num_attention_heads,
        num_key_value_heads=cfg.num_attention_heads, q_lora_rank=None, kv_lora_rank=cfg.kv_lora_rank,
        qk_nope_head_dim=cfg.qk_nope_head_dim, qk_rope_head_dim=cfg.qk_rope_head_dim, v_head_dim=cfg.v_head_dim,
        n_routed_experts=cfg.n_routed_experts, num_experts_per_tok=cfg.num_experts_per_tok,
        n_shared_experts=cfg.n_shared_experts, routed_scaling_factor=cfg.routed_scaling_factor,
        topk_method="greedy", n_group=1, topk_group=1, norm_topk_prob=False, rms_norm_eps=cfg.rms_norm_eps,
        max_position_embeddings=cfg.context_length, rope_parameters=rope, tie_word_embeddings=False,
        bos_token_id=tokens.index(BOS), eos_token_id=tokens.index(EOS), pad_token_id=tokens.index(EOS),
        attention_bias=False, mlp_bias=False, hidden_act="silu")
    hf_cfg._attn_implementation = "eager"
    model = DeepseekV2ForCausalLM(hf_cfg).eval()
    state = {}
    for name, arr in weights.items():
        if name.endswith("mlp.experts.gate_proj"):
            up = weights[name.replace("gate_proj", "up_proj")]
            state[name.replace("gate_proj", "gate_up_proj")] = torch.from_numpy(np.concatenate([arr, up], axis=1))
        elif name.endswith("mlp.experts.up_proj"):
            continue
        else:
            state[name] = torch.from_numpy(arr)
    missing, unexpected = model.load_state_dict(state, strict=False)
    missing = [m for m in missing if "rotary" not in m]
    if missing or unexpected:
        raise RuntimeError(f"weights do not match transformers' DeepseekV2: missing {missing}, unexpected {unexpected}")
    return model


def tiny_tokenizer():
    """The tiny vocabulary as a transformers fast tokenizer (byte-level BPE, BOS added, chat template)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast
    tokens, merges, types = tiny_vocab()
    normal = {t: i for i, (t, ty) in enumerate(zip(tokens, types)) if ty == 1}
    tk = Tokenizer(models.BPE(vocab=normal, merges=[tuple(m.split(" ")) for m in merges]))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tk.decoder = decoders.ByteLevel()
    tk.add_special_tokens([t for t, ty in zip(tokens, types) if ty == 3])
    assert all(tk.token_to_id(t) == i for i, t in enumerate(tokens)), "special token ids must follow the vocab"
    tk.post_processor = processors.TemplateProcessing(single=f"{BOS} $A", special_tokens=[(BOS, tokens.index(BOS))])
    fast = PreTrainedTokenizerFast(tokenizer_object=tk, bos_token=BOS, eos_token=EOS, pad_token=EOS)
    fast.chat_template = CHAT_TEMPLATE
    return fast


def write_tiny_checkpoint(directory: Path | str, seed: int = 0, cfg: TinyConfig | None = None) -> Path:
    """The tiny model as a transformers checkpoint directory (config, safetensors, tokenizer)."""
    cfg = cfg or TinyConfig()
    directory = Path(directory)
    model = to_transformers(cfg, tiny_weights(cfg, len(tiny_vocab()[0]), seed))
    model.save_pretrained(directory)
    tiny_tokenizer().save_pretrained(directory)
    return directory


__all__ = ["TinyConfig", "tiny_vocab", "tiny_weights", "write_gguf", "write_tiny_gguf", "to_transformers", "tiny_tokenizer",
           "write_tiny_checkpoint"]
