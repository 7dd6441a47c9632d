"""A scripted model served over HTTP: a real server on loopback (stdlib http.server in a thread)
speaking OpenAI's chat-completions protocol, that replays given responses -- text, tool calls,
DeepSeek's ``reasoning_content`` -- in order. It writes no code itself; it is named as a scripted
model wherever it is used.

It checks what a real provider checks, so that a request a real API would refuse fails here too:
every tool call of an assistant message is answered by a ``tool`` message with its id before the
next other message (OpenAI's rule, HTTP 400 otherwise), and, with ``deepseek_rules``, an assistant
message that made tool calls carries its ``reasoning_content`` back in every later request
(DeepSeek's thinking mode, api-docs.deepseek.com/guides/thinking_mode: HTTP 400 otherwise).
Every request body is kept (``requests``) for the test to read.
"""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def call(name: str, arguments: dict | str) -> dict:
    """A scripted tool call; ``arguments`` as a dict (sent as JSON) or as the raw string (malformed JSON)."""
    return {"name": name, "arguments": arguments if isinstance(arguments, str) else json.dumps(arguments)}


def said(content: str | None = None, calls: list[dict] | None = None, reasoning: str | None = None) -> dict:
    """One scripted response: its text, its tool calls, its reasoning."""
    return {"content": content, "tool_calls": calls or [], "reasoning_content": reasoning}


class ScriptedChatServer:
    def __init__(self, responses: list[dict], then: str = "error", deepseek_rules: bool = False):
        self.responses, self.then, self.deepseek_rules = responses, then, deepseek_rules
        self.requests: list[dict] = []     # request bodies, in order
        self.refused: list[str] = []       # why a request got HTTP 400
        self._given: dict[str, str] = {}   # tool call id -> the reasoning sent with it
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.api_base = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "ScriptedChatServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def problem(self, body: dict) -> str | None:
        """What a real provider would refuse in this request, or None."""
        open_ids: list[str] = []
        for i, m in enumerate(body.get("messages", [])):
            role = m.get("role")
            if role == "tool":
                if m.get("tool_call_id") not in open_ids:
                    return f"message {i}: a tool message answers no open tool call ({m.get('tool_call_id')})"
                open_ids.remove(m["tool_call_id"])
                continue
            if open_ids:
                return f"message {i}: tool calls {open_ids} were not answered before a {role} message"
            for c in m.get("tool_calls") or []:
                open_ids.append(c["id"])
                want = self._given.get(c["id"])
                if self.deepseek_rules and want and m.get("reasoning_content") != want:
                    return (f"message {i}: The reasoning_content in the thinking mode must be passed back "
                            "to the API (a turn with tool calls)")
        return None

    def answer(self, body: dict) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(body)
            why = self.problem(body)
            if why:
                self.refused.append(why)
                return 400, {"error": {"message": why, "type": "invalid_request_error"}}
            i = len(self.requests) - 1 - len(self.refused)
            if i >= len(self.responses):
                if self.then != "repeat":
                    return 400, {"error": {"message": "scripted model: script exhausted"}}
                i = len(self.responses) - 1
            step = self.responses[i]
            message = {"role": "assistant", "content": step.get("content")}
            calls = [{"id": f"call_{len(self.requests)}_{k}", "type": "function",
                      "function": {"name": c["name"], "arguments": c["arguments"]}}
                     for k, c in enumerate(step.get("tool_calls") or [])]
            if calls:
                message["tool_calls"] = calls
            if step.get("reasoning_content"):
                message["reasoning_content"] = step["reasoning_content"]
                for c in calls:
                    self._given[c["id"]] = step["reasoning_content"]
        prompt = sum(len(json.dumps(m)) for m in body.get("messages", [])) // 4
        completion = len(json.dumps(message)) // 4
        return 200, {"id": f"chatcmpl-{len(self.requests)}", "object": "chat.completion", "created": 0,
                     "model": body.get("model", "scripted"),
                     "choices": [{"index": 0, "message": message,
                                  "finish_reason": "tool_calls" if calls else "stop"}],
                     "usage": {"prompt_tokens": prompt, "completion_tokens": completion,
                               "total_tokens": prompt + completion}}


def _handler(fake: ScriptedChatServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):   # quiet: the test reads fake.requests
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if not self.path.rstrip("/").endswith("/chat/completions"):
                status, out = 404, {"error": {"message": f"no route {self.path}"}}
            else:
                status, out = fake.answer(body)
            data = json.dumps(out).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
    return Handler
