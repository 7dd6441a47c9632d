"""The same commands as tools, for a model that takes tool calls (OpenAI function calling):
``bash`` (one shell command), ``apply_diff`` (a unified diff, through dsfix's applier) and
``submit``. A call becomes the command a fenced answer would have held, so both ways of asking
reach the same code; a call dsfix cannot read becomes an error the model is told, never a crash.
"""
from __future__ import annotations

import json
from typing import Any

from . import APPLY, SUBMIT, diff_payload, kind

BASH = "bash"

TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": BASH,
        "description": "Run one shell command in the repository (your working directory, no network). "
                       "Returns its exit code and output (long output is cut in the middle).",
        "parameters": {"type": "object", "properties": {
            "command": {"type": "string", "description": "The command, as you would type it in bash."}},
            "required": ["command"]}}},
    {"type": "function", "function": {
        "name": APPLY,
        "description": "Edit files with a unified diff through dsfix's applier: forgiving of line "
                       "numbers, context and whitespace; it says where a hunk does not fit.",
        "parameters": {"type": "object", "properties": {
            "diff": {"type": "string", "description": "A unified diff (--- a/PATH, +++ b/PATH, @@ hunks)."}},
            "required": ["diff"]}}},
    {"type": "function", "function": {
        "name": SUBMIT,
        "description": "The fix is done: dsfix judges your changes with the tests in a fresh copy of the "
                       "repository. If they are not accepted you are told why and may go on.",
        "parameters": {"type": "object", "properties": {}}}},
]
NAMES = [t["function"]["name"] for t in TOOLS]


class CallError(ValueError):
    """A tool call dsfix cannot read: its message is what the model is told."""


def read_call(name: str, arguments: str) -> tuple[str, str | None]:
    """(kind, payload) of one tool call: ('shell', command), ('apply_diff', diff or None when
    a bash here-document is malformed) or ('submit', None). Raises CallError."""
    if name not in NAMES:
        raise CallError(f"there is no tool named {name!r}; the tools are {', '.join(NAMES)}")
    try:
        args = json.loads(arguments) if arguments.strip() else {}
    except json.JSONDecodeError as e:
        raise CallError(f"the arguments of {name} are not valid JSON ({e.msg} at character {e.pos}); "
                        f"send an object such as {_example(name)}") from None
    if not isinstance(args, dict):
        raise CallError(f"the arguments of {name} must be a JSON object such as {_example(name)}")
    if name == SUBMIT:
        return SUBMIT, None
    field = "command" if name == BASH else "diff"
    value = args.get(field)
    if not isinstance(value, str) or not value.strip():
        raise CallError(f"{name} needs a non-empty string {field!r}, such as {_example(name)}")
    if name == APPLY:
        return APPLY, value
    what = kind(value)   # `submit` or an apply_diff here-document sent through bash work too
    return what, (diff_payload(value) if what == APPLY else value if what != SUBMIT else None)


def _example(name: str) -> str:
    return {BASH: '{"command": "ls"}', APPLY: '{"diff": "--- a/f.py\\n+++ b/f.py\\n@@ ... @@\\n..."}',
            SUBMIT: "{}"}[name]
