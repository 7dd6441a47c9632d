"""A run's final status: every value in one place (report.json, exit codes, the bot's comments)."""
from __future__ import annotations

from enum import Enum


class Status(str, Enum):
    VERIFIED = "verified"           # a reproduction or failing tests now pass, none regressed
    UNVERIFIED = "unverified"       # tests pass, but nothing failed before: nothing proves the fix
    FAILED = "failed"               # no patch survived the tests within the attempts
    LIMIT_STEPS = "limit_steps"
    LIMIT_COST = "limit_cost"
    STOPPED = "stopped"             # the batch's stop file appeared (a total-cost cap)
    MODEL_ERROR = "model_error"
    FORMAT_ERROR = "format_error"   # three answers in a row without the requested block
    ENV_ERROR = "env_error"         # the environment failed, or its tests cannot run (preflight)
    INTERRUPTED = "interrupted"     # Ctrl-C / SIGTERM

    def __str__(self) -> str:       # the value in f-strings and logs on every Python dsfix supports
        return self.value
