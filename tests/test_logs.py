"""dsfix's messages: library code logs, the entry point decides who sees them (common/logs.py)."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading

from dsfix.common.logs import captured


def test_a_sink_gets_its_own_threads_messages_at_its_level():
    """`dsfix eval` grades instances side by side in threads, each with its run_instance.log: one
    instance's image build must not land in another's log."""
    mine, theirs = [], []
    lib = logging.getLogger("dsfix.envs.layers.builder")
    other_started, mine_done = threading.Event(), threading.Event()

    def other():
        with captured(theirs.append, logging.INFO):
            other_started.set()
            lib.info("building env layer for them")
            mine_done.wait(5)

    t = threading.Thread(target=other)
    t.start()
    other_started.wait(5)
    with captured(mine.append, logging.INFO):
        lib.info("building env layer for me")
        lib.debug("Step 1/4 : FROM dsfix/base")   # a build's output line: below this sink's level
    mine_done.set()
    t.join()
    lib.info("after: nobody listens")
    assert mine == ["building env layer for me"]
    assert theirs == ["building env layer for them"]


def test_a_debug_sink_gets_the_detail_and_every_thread_when_asked():
    got = []
    with captured(got.append, this_thread=False):
        t = threading.Thread(target=lambda: logging.getLogger("dsfix.envs.x").debug("from a thread"))
        t.start()
        t.join()
        logging.getLogger("elsewhere").warning("not dsfix's")
    assert got == ["from a thread"]


def test_a_broken_sink_does_not_break_the_work(capsys):
    def boom(msg):
        raise OSError("disk full")
    with captured(boom):
        logging.getLogger("dsfix.envs.x").info("still fine")   # no exception reaches the caller
    assert "disk full" in capsys.readouterr().err   # logging's own report of a failing handler


def _cli_logging(env_extra: dict) -> subprocess.CompletedProcess:
    code = ("from dsfix.agent.cli import setup_logging; import logging; setup_logging(); "
            "lib = logging.getLogger('dsfix.envs.layers.builder'); "
            "lib.info('building env layer [x/y] for z'); lib.debug('Step 1/4 : FROM base'); "
            "lib.warning('disk is low')")
    env = {k: v for k, v in os.environ.items() if k != "DSFIX_LOG"} | env_extra
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)


def test_the_cli_shows_progress_on_stderr_and_the_detail_on_request():
    r = _cli_logging({})
    assert r.returncode == 0 and r.stdout == "", r.stderr   # stdout stays the command's result
    assert r.stderr.splitlines() == ["building env layer [x/y] for z", "warning: disk is low"]
    r = _cli_logging({"DSFIX_LOG": "debug"})
    assert r.stderr.splitlines() == ["building env layer [x/y] for z", "Step 1/4 : FROM base",
                                     "warning: disk is low"]
