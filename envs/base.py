"""What the agent needs from an environment: run commands, read and write files, reset.

The patch never comes from an environment (agent/edit.py, envs/finalpatch.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class EnvError(RuntimeError):
    """The environment could not be set up or used (engine down, image missing): exit code 2."""


@dataclass
class ExecResult:
    exit_code: int
    output: str
    seconds: float
    timed_out: bool = False
    timeout: int | None = None      # the limit it ran under

    @property
    def near_timeout(self) -> bool:
        """Finished, but close enough to its limit that a slower machine would have cut it off."""
        return bool(self.timeout) and not self.timed_out and self.seconds >= NEAR_TIMEOUT * self.timeout


NEAR_TIMEOUT = 0.8   # share of its timeout past which a run is reported as near it


@dataclass
class Timings:
    """Seconds spent outside the model, by kind, for the report."""
    spent: dict[str, list[float]] = field(default_factory=dict)
    near: list[dict] = field(default_factory=list)   # commands that finished close to their timeout

    def add(self, kind: str, seconds: float) -> None:
        self.spent.setdefault(kind, []).append(round(seconds, 3))

    def exec(self, command: str, r: ExecResult) -> None:
        """One command run: counted under "exec"; noted when it came close to its timeout."""
        self.add("exec", r.seconds)
        if r.near_timeout:
            self.near.append({"command": command, "seconds": r.seconds, "timeout": r.timeout})

    def summary(self) -> dict:
        """kind -> {count, total, mean}; and "near_timeout": the runs that came close, when any."""
        out: dict = {k: {"count": len(v), "total": round(sum(v), 3), "mean": round(sum(v) / len(v), 3)}
                     for k, v in self.spent.items()}
        if self.near:
            out["near_timeout"] = list(self.near)
        return out


class Environment(Protocol):
    timings: Timings

    def execute(self, command: str, timeout: int | None = None) -> ExecResult: ...
    def read_file(self, path: str) -> str | None: ...
    def write_file(self, path: str, text: str | None) -> None: ...   # None deletes
    def reset(self) -> None: ...        # back to the copied-in state (keeps .dsfix/)
    def close(self) -> None: ...


SCRATCH = ".dsfix"   # the agent's scratch dir inside the copy; excluded from diffs
GIT_ID = ["-c", "user.name=dsfix", "-c", "user.email=dsfix@localhost", "-c", "commit.gpgsign=false"]
# Build artefacts of test runs must never show up in the patch.
EXCLUDE = [f"{SCRATCH}/", "__pycache__/", "*.py[cod]", ".pytest_cache/", "*.egg-info/", ".hypothesis/"]
BASELINE = ("git init -q && printf '%s\\n' {pats} > .git/info/exclude && git add -A && "
            "git {id} commit -q --no-verify --allow-empty -m dsfix-baseline").format(
                pats=" ".join(f"'{p}'" for p in EXCLUDE), id=" ".join(GIT_ID))
RESET = "git reset -q --hard HEAD && git clean -fdq"
