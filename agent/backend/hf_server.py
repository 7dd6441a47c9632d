"""The reference engine: a small OpenAI-compatible HTTP server over transformers' generate().

    python -m dsfix.agent.backend.hf_server --model DIR --alias NAME --port P [--ctx N] [--parallel N]

Endpoints: GET /v1/models, POST /v1/chat/completions and /v1/completions (both with "stream").
Greedy at temperature 0. It is slow and meant for checking the other engines, not for daily use.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Engine:
    def __init__(self, model_dir: str, ctx: int, parallel: int):
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        self.torch = torch
        self.tok = AutoTokenizer.from_pretrained(model_dir)
        dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
        self.model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=dtype).eval()
        if torch.cuda.is_available():
            self.model = self.model.to("cuda")
        trained = getattr(self.model.config, "max_position_embeddings", ctx) or ctx
        self.ctx = min(ctx, trained) if ctx else trained
        self.slots = threading.Semaphore(max(1, parallel))
        if not self.tok.chat_template:
            from .deepseek import CHAT_TEMPLATE
            self.tok.chat_template = CHAT_TEMPLATE

    def prompt_ids(self, body: dict, chat: bool) -> list[int]:
        if chat:
            ids = self.tok.apply_chat_template(body["messages"], add_generation_prompt=True, tokenize=True)
            if isinstance(ids, dict) or hasattr(ids, "keys"):
                ids = ids["input_ids"]
            return list(ids)
        prompt = body.get("prompt", "")
        if isinstance(prompt, list):
            prompt = prompt[0] if prompt else ""
        return self.tok(prompt, add_special_tokens=True)["input_ids"]

    def generate(self, ids: list[int], body: dict, on_text=None) -> tuple[str, int, str]:
        """(text, completion tokens, finish reason); calls on_text(piece) as text is produced."""
        torch = self.torch
        max_new = int(body.get("max_tokens") or 256)
        if len(ids) + 1 > self.ctx:
            raise ContextError(len(ids), self.ctx)
        max_new = min(max_new, self.ctx - len(ids))
        temperature = float(body.get("temperature", 1.0) or 0.0)
        stops = body.get("stop") or []
        stops = [stops] if isinstance(stops, str) else list(stops)
        gen = dict(max_new_tokens=max_new, do_sample=temperature > 0, pad_token_id=self.tok.eos_token_id)
        if temperature > 0:
            gen.update(temperature=temperature, top_p=float(body.get("top_p", 1.0)))
            if body.get("seed") is not None:
                torch.manual_seed(int(body["seed"]))
        input_ids = torch.tensor([ids], device=self.model.device)
        out_ids: list[int] = []
        text, finish = "", "length"
        with self.slots, torch.no_grad():
            past = None
            cur = input_ids
            for _ in range(max_new):
                res = self.model(input_ids=cur, past_key_values=past, use_cache=True)
                past = res.past_key_values
                logits = res.logits[0, -1].float()
                if temperature > 0:
                    probs = torch.softmax(logits / temperature, dim=-1)
                    nxt = int(torch.multinomial(probs, 1))
                else:
                    nxt = int(torch.argmax(logits))
                if nxt == self.tok.eos_token_id:
                    finish = "stop"
                    break
                out_ids.append(nxt)
                new_text = self.tok.decode(out_ids, skip_special_tokens=True)
                hit = next((s for s in stops if s in new_text), None)
                if hit is not None:
                    new_text = new_text[:new_text.index(hit)]
                    finish = "stop"
                piece, text = new_text[len(text):], new_text
                if piece and on_text:
                    on_text(piece)
                if hit is not None:
                    break
                cur = torch.tensor([[nxt]], device=self.model.device)
        return text, len(out_ids), finish


class ContextError(ValueError):
    def __init__(self, n: int, ctx: int):
        super().__init__(f"This model's maximum context length is {ctx} tokens, but the prompt has {n} tokens. "
                         "Please reduce the length of the messages.")


class Handler(BaseHTTPRequestHandler):
    """The OpenAI-compatible routes over one engine (set by make_handler)."""
    protocol_version = "HTTP/1.1"
    engine: Engine
    alias: str

    def log_message(self, fmt, *args):  # one line per request on stderr, like uvicorn
        sys.stderr.write(f"{self.address_string()} {fmt % args}\n")

    def _json(self, code: int, obj: dict) -> None:
        data = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._json(200, {"object": "list", "data": [{"id": self.alias, "object": "model", "owned_by": "dsfix"}]})
        elif self.path.rstrip("/") in ("/health", "/v1/health"):
            self._json(200, {"status": "ok"})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self):
        chat = self.path.rstrip("/").endswith("/chat/completions")
        if not chat and not self.path.rstrip("/").endswith("/completions"):
            return self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            ids = self.engine.prompt_ids(body, chat)
            if len(ids) + 1 > self.engine.ctx:
                raise ContextError(len(ids), self.engine.ctx)
        except ContextError as e:
            return self._json(400, {"error": {"message": str(e), "type": "invalid_request_error",
                                              "code": "context_length_exceeded"}})
        except (ValueError, KeyError, TypeError) as e:
            return self._json(400, {"error": {"message": f"bad request: {e}", "type": "invalid_request_error"}})
        rid, created = f"{'chatcmpl' if chat else 'cmpl'}-{uuid.uuid4().hex[:24]}", int(time.time())
        obj = "chat.completion" if chat else "text_completion"
        if body.get("stream"):
            return self._stream(body, ids, chat, rid, created, obj)
        text, n, finish = self.engine.generate(ids, body)
        choice = ({"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
                  if chat else {"index": 0, "text": text, "finish_reason": finish, "logprobs": None})
        self._json(200, {"id": rid, "object": obj, "created": created, "model": self.alias, "choices": [choice],
                         "usage": {"prompt_tokens": len(ids), "completion_tokens": n,
                                   "total_tokens": len(ids) + n}})

    def _stream(self, body, ids, chat, rid, created, obj):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        obj = obj + (".chunk" if chat else "")

        def send(choice, usage=None):
            event = {"id": rid, "object": obj, "created": created, "model": self.alias, "choices": [choice]}
            if usage:
                event["usage"] = usage
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()

        def piece(text):
            send({"index": 0, "delta": {"content": text}, "finish_reason": None} if chat
                 else {"index": 0, "text": text, "finish_reason": None})

        if chat:
            send({"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None})
        _, n, finish = self.engine.generate(ids, body, on_text=piece)
        usage = {"prompt_tokens": len(ids), "completion_tokens": n, "total_tokens": len(ids) + n}
        send({"index": 0, "delta": {}, "finish_reason": finish} if chat
             else {"index": 0, "text": "", "finish_reason": finish}, usage)
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def make_handler(engine: Engine, alias: str) -> type[Handler]:
    return type("BoundHandler", (Handler,), {"engine": engine, "alias": alias})


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", required=True)
    ap.add_argument("--alias", default="dsfix-local")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--ctx", type=int, default=0)
    ap.add_argument("--parallel", type=int, default=1)
    a = ap.parse_args(argv)
    engine = Engine(a.model, a.ctx, a.parallel)
    server = ThreadingHTTPServer((a.host, a.port), make_handler(engine, a.alias))
    server.daemon_threads = True
    sys.stderr.write(f"dsfix transformers server: {a.model} as {a.alias} on http://{a.host}:{a.port}/v1 "
                     f"(ctx {engine.ctx}, {a.parallel} slot(s))\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
