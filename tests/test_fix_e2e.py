"""`dsfix fix` end to end: real CLI process, real git repo, real Docker engine, scripted model.

The scripted model (examples/inventory.replay.json) plays a realistic run: a reproduction script,
one diff with misremembered lines (refused), one wrong fix (tests regress), then the right fix.
"""
from __future__ import annotations

import json
import os
import subprocess
import time

from clirun import DSFIX, dsfix, report, script
from conftest import REPLAY, dsfix_containers, git, make_repo
from dsfix.envs.docker_env import DockerEnvironment
from dsfix.envs.images import BASE_IMAGE
from dsfix.envs.workspace import Workspace

SECRET = "tok-e2e-very-secret-4242"


def test_verified_patch_source_untouched_secrets_redacted(docker_client, buggy_repo, tmp_path):
    before_files = {p: p.read_bytes() for p in buggy_repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    issue = (buggy_repo / "ISSUE.md").read_text() + f"\nMy token is {SECRET}, do not leak it.\n"
    out = tmp_path / "out"
    r = dsfix("fix", str(buggy_repo), "--issue", issue, "--model", f"scripted/{REPLAY}", "--out", str(out),
              env={"DSFIX_E2E_TOKEN": SECRET})
    assert r.returncode == 0, r.stderr + r.stdout
    rep = report(out)
    assert rep["status"] == "verified" and rep["steps"] == 4 and rep["attempts"] == 3
    assert rep["tests"]["after"]["counts"] == {"PASSED": 6} and rep["reproduction"] == {"before_exit": 1, "after_exit": 0}
    assert rep["cost_known"] is False and rep["cost_usd"] is None and rep["tokens"]["prompt"] > 0
    assert {"container_start", "copy", "exec", "test_run"} <= set(rep["timings"]["environment"])
    patch = (out / "patch.diff").read_text()
    assert "+    for start in range(0, len(items), size):" in patch and patch.startswith("diff --git")
    # The trajectory holds the refused diff's feedback and the regression feedback, and no secret.
    traj = (out / "trajectory.jsonl").read_text()
    events = [json.loads(line) for line in traj.splitlines()]
    applies = [e["ok"] for e in events if e["type"] == "action"]
    assert applies == [False, True, True]
    assert any("did you mean" in e.get("content", "") for e in events if e["type"] == "message")
    assert any("passed before your change and fail now" in e.get("content", "") for e in events)
    for text in (traj, (out / "report.json").read_text(), r.stdout, r.stderr):
        assert SECRET not in text
    assert "[REDACTED:DSFIX_E2E_TOKEN]" in traj
    # The user's repository is untouched, and no container is left.
    after_files = {p: p.read_bytes() for p in buggy_repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after_files == before_files and git(buggy_repo, "status", "--porcelain") == ""
    assert dsfix_containers(docker_client) == []
    # Independently: the saved patch makes the suite pass in a fresh container.
    fresh = make_repo(tmp_path / "fresh")
    git(fresh, "apply", str(out / "patch.diff"))
    with DockerEnvironment(Workspace(fresh), BASE_IMAGE, pull=False, client=docker_client) as env:
        res = env.execute("python -m pytest -q")
    assert res.exit_code == 0, res.output


def test_apply_flag_changes_tree_only_when_it_applies(docker_client, tmp_path):
    repo = make_repo(tmp_path / "a")
    out = tmp_path / "out_a"
    r = dsfix("fix", str(repo), "--issue-file", str(repo / "ISSUE.md"), "--model", f"scripted/{REPLAY}",
              "--out", str(out), "--apply")
    assert r.returncode == 0, r.stderr
    assert "range(0, len(items), size)" in (repo / "inventory/batching.py").read_text()
    assert report(out)["applied"] == {"applied": True}
    # A user who edits the same lines while dsfix works keeps their change; a verified patch that
    # could not be applied exits 3, not 0.
    repo = make_repo(tmp_path / "b")
    target = repo / "inventory/batching.py"
    mine = target.read_text().replace("len(items) - size + 1, size", "len(items) - size + 1, size  # mine")
    replay = json.loads(REPLAY.read_text())["responses"]
    slow = replay[0].replace("```python\n", "```python\nimport time\ntime.sleep(3)\n", 1)
    model = script(tmp_path / "b.json", [slow, replay[3]])
    out = tmp_path / "out_b"
    proc = subprocess.Popen([DSFIX, "fix", str(repo), "--issue-file", str(repo / "ISSUE.md"), "--model", model,
                             "--out", str(out), "--apply"], env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and '"kind": "tests"' not in _read(out / "trajectory.jsonl"):
        time.sleep(0.1)   # the baseline has run: the snapshot was taken before it
    target.write_text(mine)
    stdout, stderr = proc.communicate(timeout=300)
    assert target.read_text() == mine
    rep = report(out)
    assert rep["status"] == "verified" and rep["applied"]["applied"] is False, stderr + stdout
    assert proc.returncode == 3, stderr


def _read(path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def test_tests_that_cannot_run_stop_before_any_model_call(docker_client, buggy_repo, tmp_path):
    """A broken environment is exit 2 with one line, and no token is spent on it."""
    (buggy_repo / "tests/conftest.py").write_text("import not_installed_anywhere\n")
    git(buggy_repo, "add", "-A")
    git(buggy_repo, "commit", "-qm", "needs a dependency")
    model = script(tmp_path / "s.json", [])   # any model call would fail the run differently
    out = tmp_path / "out"
    r = dsfix("fix", str(buggy_repo), "--issue", "batches drops items", "--model", model, "--out", str(out))
    assert r.returncode == 2, r.stderr + r.stdout
    assert "not_installed_anywhere" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    rep = report(out)
    assert rep["status"] == "env_error" and rep["steps"] == 0 and rep["tokens"]["prompt"] == 0
    assert dsfix_containers(docker_client) == []


def test_never_working_model_stops_at_step_limit(docker_client, buggy_repo, tmp_path):
    repro = "```python\nfrom inventory.batching import batches\nassert batches([1, 2, 3], 2) == [[1, 2], [3]]\n```"
    bad = "```diff\n--- a/inventory/batching.py\n+++ b/inventory/batching.py\n@@ -1,2 +1,2 @@\n-def nothing_here():\n+def still_nothing():\n```"
    model = script(tmp_path / "s.json", [repro, bad], then="repeat")
    out = tmp_path / "out"
    r = dsfix("fix", str(buggy_repo), "--issue", "batches drops items", "--model", model, "--out", str(out),
              "--max-steps", "4")
    assert r.returncode == 1, r.stderr
    rep = report(out)
    assert rep["status"] == "limit_steps" and rep["steps"] == 4 and "step limit" in rep["message"]
    assert (out / "patch.diff").read_text() == ""
    assert dsfix_containers(docker_client) == []
    assert json.loads((out / "trajectory.jsonl").read_text().splitlines()[-1])["type"] == "end"


def test_diff_through_symlink_or_outside_is_refused(docker_client, buggy_repo, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.py").write_text("x = 1\n")
    (buggy_repo / "vendor").symlink_to(outside)
    git(buggy_repo, "add", "vendor")
    git(buggy_repo, "commit", "-qm", "vendor link")
    replay = json.loads(REPLAY.read_text())["responses"]
    evil = "```diff\n--- a/vendor/evil.py\n+++ b/vendor/evil.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n```"
    escape = "```diff\n--- a/../outside/evil.py\n+++ b/../outside/evil.py\n@@ -1 +1 @@\n-x = 1\n+x = 2\n```"
    model = script(tmp_path / "s.json", [replay[0], evil, escape, replay[3]])
    out = tmp_path / "out"
    r = dsfix("fix", str(buggy_repo), "--issue", "batches drops items", "--model", model, "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert (outside / "evil.py").read_text() == "x = 1\n"
    feedback = [json.loads(x) for x in (out / "trajectory.jsonl").read_text().splitlines()]
    refusals = [e["feedback"] for e in feedback if e["type"] == "action" and not e["ok"]]
    assert len(refusals) == 2 and all("refused" in f for f in refusals)


def test_sigterm_mid_run_removes_container_and_keeps_trajectory(docker_client, buggy_repo, tmp_path):
    import os
    import signal
    import subprocess
    import time

    from clirun import DSFIX
    slow = "```python\nimport time\ntime.sleep(120)\n```"
    model = script(tmp_path / "s.json", [slow])
    out = tmp_path / "out"
    proc = subprocess.Popen([DSFIX, "fix", str(buggy_repo), "--issue", "x", "--model", model, "--out", str(out)],
                            env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not dsfix_containers(docker_client):
        time.sleep(0.2)
    assert dsfix_containers(docker_client), "the run never started a container"
    time.sleep(2)  # inside the reproduction step now
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) != 0
    assert dsfix_containers(docker_client) == [], proc.stderr.read().decode()[-3000:]
    assert report(out)["status"] == "interrupted"
    assert json.loads((out / "trajectory.jsonl").read_text().splitlines()[-1])["type"] == "end"
