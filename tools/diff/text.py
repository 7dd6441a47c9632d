"""File text as lines plus their own line endings, so untouched lines keep theirs."""
from __future__ import annotations

import re
from dataclasses import dataclass

_WS = re.compile(r"\s+")


def norm(s: str) -> str:
    """Whitespace-insensitive key of a line."""
    return _WS.sub("", s)


@dataclass
class FileText:
    lines: list[str]  # content without line ending
    eols: list[str]   # "\n", "\r\n", or "" for a last line without newline

    @classmethod
    def parse(cls, text: str) -> "FileText":
        parts = text.split("\n")
        last = parts.pop()
        lines, eols = [], []
        for p in parts:
            crlf = p.endswith("\r")
            lines.append(p[:-1] if crlf else p)
            eols.append("\r\n" if crlf else "\n")
        if last:
            lines.append(last)
            eols.append("")
        return cls(lines, eols)

    @property
    def eol(self) -> str:
        """The ending new lines get: CRLF when most of the file uses it."""
        crlf = sum(e == "\r\n" for e in self.eols)
        return "\r\n" if crlf * 2 > len(self.eols) else "\n"

    @property
    def ends_with_newline(self) -> bool:
        return not self.eols or self.eols[-1] != ""

    def render(self) -> str:
        return "".join(a + b for a, b in zip(self.lines, self.eols))
