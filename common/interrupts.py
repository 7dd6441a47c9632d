"""Ctrl-C and SIGTERM, the same way in every dsfix process.

The first signal raises KeyboardInterrupt, so ``finally`` blocks write report.json and remove
containers. While that cleanup runs, a second signal is only noted (an impatient second Ctrl-C used
to cut it short: no report.json, a container left running). A third quits at once; the next dsfix
run and ``dsfix env prune`` remove any container it leaves (their owner labels name this process).
Once the cleanup is done (``cleaned_up``), further signals are ignored: the process ends with the
exit code it chose (130), never killed by a late Ctrl-C on its way out (Python restores the default
handlers while it shuts down, and an unhandled KeyboardInterrupt ends a process by SIGINT itself).
"""
from __future__ import annotations

import os
import signal

FORCE = 3          # the signal that no longer waits for cleanup
_received = 0


def _on_signal(signum, frame) -> None:
    global _received
    _received += 1
    if _received == 1 or _received >= FORCE:
        raise KeyboardInterrupt
    # os.write, not print: the main thread may be inside a write to stderr right now
    os.write(2, b"dsfix: still cleaning up (writing the report, removing containers); "
                b"press Ctrl-C once more to quit at once\n")


def stop_on_signals(*signals: int) -> None:
    """Install the handler for ``signals`` (default SIGINT and SIGTERM) in this process."""
    global _received
    _received = 0
    for s in signals or (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, _on_signal)


def interrupted() -> bool:
    """Has a signal been received since ``stop_on_signals``?"""
    return _received > 0


def cleaned_up() -> None:
    """The interrupted work is cleaned up and the process is about to exit: ignore further SIGINT
    and SIGTERM. Ignored handlers stay ignored while the interpreter shuts down."""
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
