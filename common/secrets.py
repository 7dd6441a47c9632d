"""What counts as a secret: by the name of the variable that holds it, and by its shape.

Shared by the redactor (prompts, trajectories, reports, logs) and by the local environment (whose
commands run without the caller's secrets).
"""
from __future__ import annotations

import re

# Substrings of a variable's name that mark its value secret, and whole name parts (GH_PAT) that
# would be too broad as substrings (PATH contains PAT).
SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL")
SECRET_PARTS = frozenset({"PAT", "PASS", "AUTH", "DSN", "COOKIE", "SESSION"})
MIN_LEN = 8   # shorter values are ordinary words ("oracle"), not credentials

# Well-known credential shapes, wherever they appear (an issue's text, a log, a config dump).
SHAPES = re.compile("|".join([
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
    r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{16,}",
    r"\bgh[pousr]_[A-Za-z0-9]{20,}", r"\bgithub_pat_[A-Za-z0-9_]{20,}",
    r"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    r"\bAIza[0-9A-Za-z_-]{35}\b",
]))
# user:password@ in a URL: the password goes, the rest stays readable.
URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)(?P<pw>[^\s@/]+)(?=@)")


def is_secret_name(name: str) -> bool:
    up = name.upper()
    return any(w in up for w in SECRET_WORDS) or bool(SECRET_PARTS & set(re.split(r"[^A-Z0-9]+", up)))


def secret_values(environ: dict[str, str]) -> dict[str, str]:
    """value -> variable name, for the variables whose values must never be shown."""
    out = {}
    for k, v in environ.items():
        if len(v) < MIN_LEN:
            continue
        if is_secret_name(k) or SHAPES.fullmatch(v) or URL_PASSWORD.search(v):
            out[v] = k
    return out


def without_secrets(environ: dict[str, str]) -> dict[str, str]:
    """The environment minus every variable holding a secret (for commands dsfix runs on the host)."""
    secret = secret_values(environ)
    return {k: v for k, v in environ.items() if v not in secret and not is_secret_name(k)}
