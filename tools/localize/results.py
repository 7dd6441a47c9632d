"""Public result types of localization: a ranked Symbol and the Localization (files, symbols, scores)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Symbol:
    file: str
    name: str          # qualified: "Class.method"
    kind: str          # "class" | "function" | "method"
    start: int         # 1-based line of the def/class keyword
    end: int           # 1-based last line, inclusive
    signature: str


@dataclass
class Localization:
    files: list[str]
    scores: dict[str, float]
    symbols: list[Symbol] = field(default_factory=list)
