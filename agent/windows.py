"""One file as a prompt shows it: some line ranges, numbered, with a marker where lines are left out.

Line numbers are the file's own, so a diff written from the view stays anchored; the markers
(`... (lines 120-340 not shown)`) are in the view only, and the diff applier knows them.
"""
from __future__ import annotations

from dataclasses import dataclass

from dsfix.tools.diff.elisions import marker

GAP_FILL = 2  # a gap this short costs about what its marker does: show the lines instead


@dataclass
class FileView:
    path: str
    numbered: str
    ranges: list[tuple[int, int]]   # lines shown, 1-based inclusive, sorted and apart
    total: int                      # lines in the file

    @property
    def start(self) -> int:
        return self.ranges[0][0] if self.ranges else 0

    @property
    def end(self) -> int:
        return self.ranges[-1][1] if self.ranges else 0

    @property
    def truncated(self) -> bool:
        return self.ranges != [(1, self.total)]

    @property
    def spans(self) -> str:
        """"1-40, 120-180": what the prompt's header says is shown."""
        return ", ".join(f"{a}-{b}" for a, b in self.ranges)


def merge(ranges, n: int) -> list[tuple[int, int]]:
    """Ranges clamped to 1..n, sorted, with overlapping and nearly touching ones joined."""
    out: list[list[int]] = []
    for a, b in sorted((max(1, a), min(n, b)) for a, b in ranges):
        if a > b:
            continue
        if out and a <= out[-1][1] + GAP_FILL + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


class Sizer:
    """Characters a view of one file costs: its lines as numbered, plus one marker per gap."""

    def __init__(self, lines: list[str]):
        self.n = len(lines)
        self.width = len(str(self.n))
        self.prefix = [0]
        for s in lines:
            self.prefix.append(self.prefix[-1] + len(s) + self.width + 2)

    def lines(self, a: int, b: int) -> int:
        return self.prefix[b] - self.prefix[a - 1] if a <= b else 0

    def cost(self, ranges: list[tuple[int, int]]) -> int:
        if not ranges:
            return 0
        gaps = len(ranges) - 1 + (ranges[0][0] > 1) + (ranges[-1][1] < self.n)
        return sum(self.lines(a, b) for a, b in ranges) + gaps * (self.width + 36)


def render(path: str, lines: list[str], ranges: list[tuple[int, int]]) -> FileView:
    width = len(str(len(lines)))
    out, last = [], 0
    for a, b in ranges:
        if a > last + 1:
            out.append(f"{'':>{width}} {marker(last + 1, a - 1)}")
        out.extend(f"{i:>{width}} {lines[i - 1]}" for i in range(a, b + 1))
        last = b
    if ranges and last < len(lines):
        out.append(f"{'':>{width}} {marker(last + 1, len(lines))}")
    return FileView(path, "\n".join(out), list(ranges), len(lines))
