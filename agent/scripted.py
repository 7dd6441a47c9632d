"""The *scripted model*: a litellm custom provider that plays back a given list of responses.

It exists for tests and the offline demo, and is always named as such: it writes
no code itself. Use it as `--model scripted/<path to script.json>` where the file is
    {"responses": [<text> | {"content": <text>, "reasoning_content": <text>, "usage": {...}}
                   | {"error": "rate_limit"|"server"|"timeout"|"fatal"}],
     "then": "repeat" | "error"}
"then" says what happens once the list is used up (default "error").
"""
from __future__ import annotations

import json
import threading
from pathlib import Path

_lock = threading.Lock()
_positions: dict[str, int] = {}
_registered = False


def _next(path: str) -> dict:
    try:
        script = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as e:
        _raise("fatal", path, f"cannot read script {path}: {e}")
    responses = script["responses"] if isinstance(script, dict) else script
    then = script.get("then", "error") if isinstance(script, dict) else "error"
    with _lock:
        i = _positions.get(path, 0)
        _positions[path] = i + 1
    if i >= len(responses):
        if then != "repeat" or not responses:
            _raise("fatal", path, f"script exhausted after {len(responses)} responses")
        i = len(responses) - 1
    r = responses[i]
    return {"content": r} if isinstance(r, str) else r


def _raise(kind: str, model: str, why: str = ""):
    import litellm
    # litellm's own exception types, so the model layer classifies them as for a real provider
    args = dict(message=f"scripted model: {why or kind}", llm_provider="scripted", model=model)
    if kind == "rate_limit":
        raise litellm.RateLimitError(**args)
    if kind == "server":
        raise litellm.InternalServerError(**args)
    if kind == "timeout":
        raise litellm.Timeout(**args)
    raise litellm.BadRequestError(**args)


def register() -> None:
    global _registered
    if _registered:
        return
    import litellm
    from litellm import CustomLLM

    class ScriptedLLM(CustomLLM):
        def completion(self, model, messages, *args, **kwargs):
            step = _next(model)
            if "error" in step:
                _raise(step["error"], model)
            usage = step.get("usage", {})
            thought = step.get("reasoning_content") or ""
            prompt = usage.get("prompt_tokens", sum(len(m.get("content") or "") for m in messages) // 4)
            reasoning = usage.get("reasoning_tokens", len(thought) // 4)
            completion = usage.get("completion_tokens", len(step["content"]) // 4 + reasoning)
            message = {"role": "assistant", "content": step["content"],
                       **({"reasoning_content": thought} if thought else {})}
            return litellm.ModelResponse(
                model=f"scripted/{model}",
                choices=[{"message": message, "finish_reason": "stop"}],
                usage={"prompt_tokens": prompt, "completion_tokens": completion,
                       "total_tokens": prompt + completion,
                       **({"completion_tokens_details": {"reasoning_tokens": reasoning}} if reasoning else {}),
                       **({"prompt_tokens_details": {"cached_tokens": usage["cached_tokens"]}}
                          if "cached_tokens" in usage else {})},
            )

    litellm.custom_provider_map = [p for p in litellm.custom_provider_map if p.get("provider") != "scripted"]
    litellm.custom_provider_map.append({"provider": "scripted", "custom_handler": ScriptedLLM()})
    _registered = True
