"""Where dsfix's progress messages go. Library code logs through `logging` (loggers under "dsfix",
one per module); the entry point decides who sees them: the CLI prints them on stderr, `dsfix eval`
also writes each instance's messages into its run_instance.log, a benchmark indents them under its
own lines, tests read them. Levels: INFO for what a person wants to see while waiting (an image
being built, a download), DEBUG for the detail (each line of a build's output)."""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

ROOT = "dsfix"


class _Sink(logging.Handler):
    """Each record's message to ``sink``; from one thread only when ``thread`` is set (evaluations
    run side by side in threads, each with its own log file)."""

    def __init__(self, sink: Callable[[str], None], level: int, thread: int | None):
        super().__init__(level)
        self.sink, self.thread = sink, thread

    def emit(self, record: logging.LogRecord) -> None:
        if self.thread is None or record.thread == self.thread:
            try:
                self.sink(record.getMessage())
            except Exception:   # noqa: BLE001 - a broken sink must not break the work it watches
                self.handleError(record)


def _open_to(level: int) -> logging.Logger:
    # The logger lets records through from the lowest level any sink wants; each handler filters
    # for itself. Never lowered back: another thread's sink may still need it.
    logger = logging.getLogger(ROOT)
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    return logger


@contextmanager
def captured(sink: Callable[[str], None], level: int = logging.DEBUG, *,
             this_thread: bool = True) -> Iterator[None]:
    """While inside, dsfix's messages at ``level`` and above also go to ``sink`` (one call per
    message): only this thread's unless ``this_thread`` is False."""
    handler = _Sink(sink, level, threading.get_ident() if this_thread else None)
    logger = _open_to(level)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def show(handler: logging.Handler) -> None:
    """An entry point's one handler for all of dsfix's messages (replacing any it set before); the
    records stop at "dsfix" rather than reaching the root logger's handlers too."""
    logger = _open_to(handler.level or logging.DEBUG)
    logger.handlers = [h for h in logger.handlers if isinstance(h, _Sink)] + [handler]
    logger.propagate = False
