"""Keep secrets out of prompts, trajectories, reports and logs."""
from __future__ import annotations

import os
import re

from .config import SECRET_WORDS

_MIN_LEN = 4  # shorter values would redact ordinary text


class Redactor:
    def __init__(self, environ: dict[str, str] | None = None):
        env = dict(os.environ if environ is None else environ)
        secrets = {v: k for k, v in env.items()
                   if any(w in k.upper() for w in SECRET_WORDS) and len(v) >= _MIN_LEN}
        # Longest first, so a secret containing another is replaced whole.
        self._pairs = sorted(secrets.items(), key=lambda kv: -len(kv[0]))
        self._rx = re.compile("|".join(re.escape(v) for v, _ in self._pairs)) if self._pairs else None
        self._names = dict(self._pairs)

    def text(self, s: str) -> str:
        if not self._rx or not isinstance(s, str):
            return s
        return self._rx.sub(lambda m: f"[REDACTED:{self._names[m.group(0)]}]", s)

    def obj(self, o):
        if isinstance(o, str):
            return self.text(o)
        if isinstance(o, dict):
            return {k: self.obj(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [self.obj(v) for v in o]
        return o
