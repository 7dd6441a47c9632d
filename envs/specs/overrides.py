"""``spec:`` overrides (a repository's dsfix.yaml, --config, a batch row): checked once, where the
settings are read, so a typo is one line naming the key, the bad value and what is allowed --
never a silent fall-back (an unknown parser used to mean "judge by exit codes") or a traceback."""
from __future__ import annotations

from pydantic import ValidationError

from .repospec import RepoSpec


class SpecError(ValueError):
    """A bad ``spec:`` override; the message starts with ``spec.KEY``."""


def check_overrides(data: object) -> dict:
    """The overrides, validated and normalised as RepoSpec fields (``install: cmd`` -> ``[cmd]``)."""
    if not isinstance(data, dict):
        raise SpecError(f"spec must be a mapping of RepoSpec fields, got {type(data).__name__}")
    known = sorted(RepoSpec.model_fields)
    for key in data:
        if key not in RepoSpec.model_fields:
            raise SpecError(f"spec.{key}: unknown key; known: {', '.join(known)}")
    try:
        spec = RepoSpec.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        key = ".".join(str(p) for p in first["loc"])
        msg = first["msg"].removeprefix("Value error, ")
        if repr(first.get("input")) not in msg:
            msg += f" (got {first.get('input')!r})"
        raise SpecError(f"spec.{key}: {msg}") from None
    return {key: getattr(spec, key) for key in data}
