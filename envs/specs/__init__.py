"""dsfix.envs.specs: how to install and test a repository, and how to grade a run.

* ``RepoSpec`` -- python version, install commands, test command, log parser.
* ``swebench_spec(repo, version)`` -- the spec SWE-bench uses for a task.
* ``detect_spec(repo)`` / ``resolve_spec(repo, overrides)`` -- for a user's own repo (overrides: the
  settings' ``spec:``, checked once by ``check_overrides`` where the settings are read).
* ``parse_log(parser, text)`` -- test log -> {test id: status}.
* ``grade(statuses, f2p, p2p)`` -- SWE-bench's resolved/report rules.
"""

from .detect import detect_spec, resolve_spec
from .grading import Grade, grade
from .repospec import RepoSpec
from .overrides import SpecError, check_overrides
from .parsers import PARSERS, log_problem, parse_log
from .swebench import EXTRA_SPECS, directives_for, swebench_spec

__all__ = ["RepoSpec", "detect_spec", "resolve_spec", "check_overrides", "SpecError", "parse_log", "log_problem", "PARSERS",
           "grade", "Grade", "swebench_spec", "directives_for", "EXTRA_SPECS"]
