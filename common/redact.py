"""Keep secrets out of prompts, trajectories, reports and logs: the values of secret variables
(common.secrets) and well-known credential shapes, wherever they appear."""
from __future__ import annotations

import os
import re

from .secrets import SHAPES, URL_PASSWORD, secret_values


class Redactor:
    def __init__(self, environ: dict[str, str] | None = None):
        env = dict(os.environ if environ is None else environ)
        # Longest first, so a secret containing another is replaced whole.
        self._pairs = sorted(secret_values(env).items(), key=lambda kv: -len(kv[0]))
        self._rx = re.compile("|".join(re.escape(v) for v, _ in self._pairs)) if self._pairs else None
        self._names = dict(self._pairs)

    def text(self, s: str) -> str:
        if not isinstance(s, str):
            return s
        if self._rx:
            s = self._rx.sub(lambda m: f"[REDACTED:{self._names[m.group(0)]}]", s)
        s = SHAPES.sub("[REDACTED:credential]", s)
        return URL_PASSWORD.sub(lambda m: m["head"] + "[REDACTED:password]", s)

    def secret_in(self, s: str) -> str | None:
        """The name of an environment secret whose value occurs in ``s`` (a patch: refused, never
        altered), else None. Credential shapes are not looked for here: code under repair may
        hold test fixtures shaped like keys."""
        m = self._rx.search(s) if self._rx else None
        return self._names[m.group(0)] if m else None

    def obj(self, o):
        if isinstance(o, str):
            return self.text(o)
        if isinstance(o, dict):
            return {k: self.obj(v) for k, v in o.items()}
        if isinstance(o, (list, tuple)):
            return [self.obj(v) for v in o]
        return o
