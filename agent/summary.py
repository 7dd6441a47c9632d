"""The end-of-run summary a person reads at a glance."""
from __future__ import annotations

from pathlib import Path

from rich.markup import escape as e
from rich.table import Table

STYLE = {"verified": "bold green", "unverified": "yellow"}


def print_summary(console, report: dict, out_dir: Path) -> None:
    t = Table(show_header=False, box=None, pad_edge=False)
    status = report["status"]
    # every value is escaped: "tox.ini [testenv]" and "test_x[1]" are text, not rich markup
    t.add_row("status", f"[{STYLE.get(status, 'bold red')}]{status}[/]  {e(report.get('message', ''))}")
    t.add_row("model", e(report["model"]))
    if st := report.get("strategy"):
        t.add_row("strategy", "pipeline" if st["agent"] == "pipeline" else
                  f"agent mode, by {'tool calls' if st['tool_calls'] else 'fenced commands'}")
    t.add_row("steps", f"{report['steps']} model calls, {report['attempts']} edit attempts")
    tok = report["tokens"]
    thought = f", {tok['reasoning']} of them reasoning" if tok.get("reasoning") else ""
    t.add_row("tokens", f"{tok['prompt']} prompt ({tok['cache_hit']} cached), {tok['completion']} completion{thought}")
    t.add_row("cost", f"${report['cost_usd']:.4f}" if report["cost_known"] else "unknown (no price for this model)")
    tests = report.get("tests") or {}
    if tests.get("command"):
        t.add_row("test command", f"{e(tests['command'])}  [dim]({e(str(tests.get('source')))})[/]")
    if tests.get("before"):
        t.add_row("before", _baseline(tests))
    after = tests.get("after")
    if after:
        t.add_row("tests", e(f"`{after['command']}` exit {after['exit_code']} {after.get('counts') or ''}"))
    t.add_row("time", f"{report['timings']['total_seconds']:.1f}s (model {report['timings']['model_seconds']:.1f}s)")
    if report.get("runs_as"):   # who the repository's tests and the model's commands ran as
        t.add_row("ran as", e(report["runs_as"]))
    if "applied" in report:
        a = report["applied"]
        t.add_row("applied", "yes, to your working tree" if a["applied"] else f"no: {e(a['why'])}")
    t.add_row("output", e(str(out_dir)))
    console.print(t)


def _baseline(tests: dict) -> str:
    """What the tests said before any change: a red baseline is said as such, by name."""
    failing, n = tests.get("failing_before") or [], len(tests["before"].get("statuses") or {})
    if not failing:
        return f"{n} tests passed before any change" if n else f"exit {tests['before']['exit_code']}"
    names = e(", ".join(failing[:3])) + (f" and {len(failing) - 3} more" if len(failing) > 3 else "")
    return f"[yellow]{len(failing)} of {n} tests failed before any change[/]: {names}"
