"""dsfix.prompts: Jinja2 templates shipped as package data."""
from __future__ import annotations

from functools import lru_cache
from importlib.resources import files

import jinja2


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    # StrictUndefined: a missing variable is a bug in dsfix, not an empty string in a prompt.
    return jinja2.Environment(loader=jinja2.FunctionLoader(_load), undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True, autoescape=False)


def _load(name: str) -> str:
    return (files(__name__) / name).read_text(encoding="utf-8")


def render(name: str, **values) -> str:
    return _env().get_template(f"{name}.j2").render(**values).strip() + "\n"
