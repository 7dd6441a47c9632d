"""The trajectory: one JSON line per event, flushed as it happens so a crash loses nothing."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path

from dsfix.common.redact import Redactor


class Trajectory:
    def __init__(self, path: Path, redactor: Redactor):
        self.path = path
        self.redact = redactor
        self.messages: list[dict] = []   # the conversation, as sent to the model
        path.parent.mkdir(parents=True, exist_ok=True)
        self._f = path.open("a", encoding="utf-8")
        self._t0 = time.monotonic()

    def event(self, type_: str, **data) -> None:
        rec = {"type": type_, "t": round(time.monotonic() - self._t0, 3), **data}
        self._f.write(json.dumps(self.redact.obj(rec), default=str) + "\n")
        self._f.flush()
        os.fsync(self._f.fileno())

    def add_message(self, role: str, content: str, **meta) -> None:
        content = self.redact.text(content)  # secrets never reach the prompt
        self.messages.append({"role": role, "content": content})
        self.event("message", role=role, content=content, **meta)

    def add(self, message: dict, **meta) -> None:
        """A whole message (an assistant's tool calls, a tool's result), redacted like any other."""
        message = self.redact.obj(message)
        self.messages.append(message)
        self.event("message", **message, **meta)

    def close(self) -> None:
        self._f.close()
