"""How a running batch shows itself: a live table on a terminal; one line per instance start and
end elsewhere (a log file, CI), where a live table prints nothing until the run is over."""
from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live

from .dashboard import live_table


def end_line(row: dict) -> str:
    cost = f"${row.get('cost_usd') or 0.0:.4f}" + ("" if row.get("cost_known", True) else " + unknown")
    status = row.get("status") or row.get("outcome")
    extra = f" image {row['image_source']}" if row.get("image_source") else ""
    if row.get("near_timeout"):
        extra += f" NEAR TIMEOUT ({len(row['near_timeout'])} run(s))"
    err = f" -- {row['error'][:160]}" if row.get("outcome") == "error" and row.get("error") else ""
    return f"end   {row['instance_id']} {status} {row.get('seconds', 0.0):.1f}s {cost}{extra}{err}"


class Progress:
    """started()/finished() per instance, refresh() after each turn of the coordinator's loop."""

    def __init__(self, console: Console, total: int):
        self.console, self.total = console, total
        self.lines = not console.is_terminal
        self.started_at, self.finished_now, self.n_started = time.monotonic(), 0, 0
        self.live = None if self.lines else Live(console=console, refresh_per_second=2, transient=False)

    def __enter__(self):
        if self.live:
            self.live.__enter__()
        return self

    def __exit__(self, *exc):
        if self.live:
            self.live.__exit__(*exc)

    def _say(self, text: str) -> None:
        if self.lines:
            self.console.print(text, markup=False, highlight=False, soft_wrap=True)

    def started(self, iid: str) -> None:
        self.n_started += 1
        self._say(f"start {iid} ({self.n_started}/{self.total})")

    def finished(self, row: dict) -> None:
        self.finished_now += 1
        self._say(end_line(row))

    def refresh(self, results: list[dict], running: list[str]) -> None:
        if self.live:
            self.live.update(live_table(results, self.total, running, self.started_at, self.finished_now))
