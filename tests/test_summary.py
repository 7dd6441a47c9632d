"""The end-of-run summary prints what it is given: brackets in test ids and sources are text."""
from __future__ import annotations

from pathlib import Path

from rich.console import Console

from dsfix.agent.summary import print_summary


def test_brackets_are_text_not_markup():
    report = {"status": "failed", "message": "no verified patch [after 2]", "model": "m", "steps": 1,
              "attempts": 1, "tokens": {"prompt": 1, "completion": 1, "cache_hit": 0}, "cost_usd": None,
              "cost_known": False, "timings": {"total_seconds": 1.0, "model_seconds": 0.0},
              "tests": {"command": "python -m pytest -k 'a[1]'", "source": "detected from tox.ini [testenv] commands",
                        "failing_before": ["t.py::test_p[a b]", "t.py::test_q[1m]"],
                        "before": {"statuses": {"t.py::test_p[a b]": "FAILED", "t.py::test_q[1m]": "FAILED",
                                                "t.py::ok": "PASSED"}, "exit_code": 1}}}
    console = Console(record=True, width=200)
    print_summary(console, report, Path("/tmp/out[1]"))
    text = console.export_text()
    for shown in ("tox.ini [testenv] commands", "-k 'a[1]'", "t.py::test_p[a b], t.py::test_q[1m]",
                  "2 of 3 tests failed before any change", "[after 2]", "/tmp/out[1]"):
        assert shown in text, shown
