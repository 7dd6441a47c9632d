"""A second Ctrl-C while the first is being handled (container removal, outputs) loses nothing:
report.json and trajectory.jsonl are written first, atomically, and the cleanup after that runs
to its end. A real `dsfix fix` subprocess in Docker, driven by the *scripted model* (a replay of
one answer: a reproduction script that sleeps, so the run is inside a container when stopped)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from clirun import DSFIX, script
from conftest import dsfix_containers


def _owned_by(client, pid: int) -> list:
    return [c for c in client.containers.list(all=True, filters={"label": f"dsfix.pid={pid}"})]


def test_double_ctrl_c_keeps_report_and_removes_the_container(docker_client, buggy_repo, tmp_path):
    model = script(tmp_path / "s.json", ["```python\nimport time\ntime.sleep(120)\n```"])
    out = tmp_path / "out"
    proc = subprocess.Popen([DSFIX, "fix", str(buggy_repo), "--issue", "x", "--model", model, "--out", str(out)],
                            env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _owned_by(docker_client, proc.pid):
            time.sleep(0.2)
        assert _owned_by(docker_client, proc.pid), "the run never started a container"
        time.sleep(2)                        # inside the reproduction step now
        proc.send_signal(signal.SIGINT)      # stop: the loop unwinds into its cleanup ...
        time.sleep(0.05)
        proc.send_signal(signal.SIGINT)      # ... and an impatient second Ctrl-C lands in it
        assert proc.wait(timeout=60) == 130
        stderr = proc.stderr.read().decode()
        assert "still cleaning up" in stderr, stderr[-2000:]   # the second one did land in the cleanup
        rep = json.loads((out / "report.json").read_text())
        assert rep["status"] == "interrupted", stderr[-2000:]
        assert json.loads((out / "trajectory.jsonl").read_text().splitlines()[-1])["type"] == "end"
        assert _owned_by(docker_client, proc.pid) == [], stderr[-2000:]
        assert not [p.name for p in out.iterdir() if p.name.startswith(".")]   # no temp file left
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for c in _owned_by(docker_client, proc.pid):   # the old code's leftovers: not the next test's problem
            c.remove(force=True)
    assert dsfix_containers(docker_client) == []
