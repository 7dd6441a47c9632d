"""The commands the model may run in agent mode (``--agent bash``) besides plain shell.

Each is one small unit, handled by dsfix on the host rather than inside the container, so that the
repository's and the model's code cannot change how it works:

* ``apply_diff`` -- edit files through dsfix's own applier (forgiving of line numbers, context
  and whitespace; paths checked; "did you mean" when it cannot place a hunk). The diff follows as
  a here-document: ``apply_diff <<'EOF'`` ... ``EOF``.
* ``submit`` -- done: dsfix computes the patch on the host from the files the model changed and
  the verifier judges it in a fresh container.

Anything else is a shell command run in the container (no network, the step's time limit).
A model that takes tool calls gets the same three as tools (``schema``: ``bash``, ``apply_diff``,
``submit``); a call becomes the command a fenced answer would hold.
"""
from __future__ import annotations

import re

SUBMIT = "submit"
APPLY = "apply_diff"
_HEREDOC = re.compile(r"^apply_diff\s*<<-?\s*(['\"]?)(?P<tag>\w+)\1[ \t]*\n(?P<body>.*?)^(?P=tag)[ \t]*$",
                      re.M | re.S)


def kind(command: str) -> str:
    """'submit', 'apply_diff' or 'shell'."""
    first = command.strip().split("\n", 1)[0].strip()
    if first == SUBMIT:
        return SUBMIT
    if first.startswith(APPLY):
        return APPLY
    return "shell"


def diff_payload(command: str) -> str | None:
    """The diff an ``apply_diff`` here-document carries, or None when it is malformed."""
    m = _HEREDOC.search(command.strip() + "\n")
    return m["body"] if m else None
