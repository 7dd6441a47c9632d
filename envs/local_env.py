"""The `local` environment: a temporary copy on the host. Only when the user asks for it."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from dsfix.common.secrets import without_secrets

from .base import BASELINE, RESET, ExecResult, Timings
from .workspace import Workspace


class LocalEnvironment:
    def __init__(self, ws: Workspace, exec_timeout: int = 300, setup: list[str] | None = None):
        self.timings = Timings()
        self.exec_timeout = exec_timeout
        t0 = time.monotonic()
        self.tmp = Path(tempfile.mkdtemp(prefix="dsfix-local-"))
        self.root = self.tmp / "repo"
        try:
            ws.snapshot().extract(self.root)
            self.timings.add("copy", time.monotonic() - t0)
            t0 = time.monotonic()
            for cmd in [BASELINE, *(setup or [])]:
                self._must(cmd)
            self.timings.add("setup", time.monotonic() - t0)
        except BaseException:
            self.close()   # a failed setup (or Ctrl-C) leaves no copy behind
            raise

    def _must(self, cmd: str) -> None:
        r = self.execute(cmd)
        if r.exit_code != 0:
            from .base import EnvError
            raise EnvError(f"setup command failed ({r.exit_code}): {cmd}\n{r.output[-2000:]}")

    def execute(self, command: str, timeout: int | None = None) -> ExecResult:
        t0 = time.monotonic()
        proc = subprocess.Popen(["bash", "-c", command], cwd=self.root, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                env=without_secrets(dict(os.environ)))   # the repo's code runs here
        try:
            out, _ = proc.communicate(timeout=timeout or self.exec_timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)  # the whole group: test runners spawn children
            out, _ = proc.communicate()
            timed_out = True
        except BaseException:   # Ctrl-C, SIGTERM: nothing of the run may outlive dsfix
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
        dt = time.monotonic() - t0
        r = ExecResult(proc.returncode if not timed_out else 124, out.decode(errors="replace"), round(dt, 3),
                       timed_out, timeout or self.exec_timeout)
        self.timings.exec(command, r)
        return r

    def read_file(self, path: str) -> str | None:
        p = self.root / path
        if p.is_symlink() or not p.is_file():
            return None
        return p.read_bytes().decode(errors="surrogateescape")

    def write_file(self, path: str, text: str | None) -> None:
        p = self.root / path
        if text is None:
            p.unlink(missing_ok=True)
            return
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode(errors="surrogateescape"))

    def reset(self) -> None:
        self.execute(RESET)

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
