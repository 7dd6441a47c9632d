"""The tests before any change, kept for the next run that would repeat them exactly
(agent/baseline_store.py). The end-to-end test drives `dsfix fix` with a scripted model (replayed
answers, not a real model) in real containers."""
from __future__ import annotations

import json

from clirun import dsfix, report, script
from conftest import REPLAY, git, make_repo
from dsfix.agent.baseline_store import BaselineStore, baseline_key
from dsfix.agent.judge import TestRun


class _Env:
    image_id, runs_as = "sha256:abc", "dsfix (uid 10001)"


def test_a_clean_baseline_is_kept_and_a_doubtful_one_is_not(tmp_path):
    key = baseline_key(_Env(), "snap1", "pytest -rA", {"env": {}})
    assert key and key != baseline_key(_Env(), "snap2", "pytest -rA", {"env": {}})   # other code
    assert key != baseline_key(_Env(), "snap1", "pytest -rA tests/a.py", {"env": {}})   # other tests
    assert key != baseline_key(_Env(), "snap1", "pytest -rA", {"env": {"setup": ["x"]}})   # other set-up
    assert baseline_key(object(), "snap1", "pytest -rA", {}) is None   # no image: the user's machine
    store = BaselineStore(key, tmp_path)
    run = TestRun("pytest -rA", 1, 3.5, False, {"t.py::a": "PASSED", "t.py::b": "FAILED"},
                  results_from="junit", file_seconds={"t.py": 1.5})
    assert store.load() is None and store.save(run)
    got = store.load()
    assert got.reused and got.statuses == run.statuses and got.file_seconds == run.file_seconds
    for doubtful in (TestRun("pytest", 124, 9.0, True, {"t.py::a": "PASSED"}),   # timed out
                     TestRun("pytest", 0, 1.0, False, {"t.py::a": "PASSED"}, problem="tally differs"),
                     TestRun("pytest", 0, 1.0, False, {})):                        # read nothing
        assert not BaselineStore("other", tmp_path).save(doubtful)
    (tmp_path / f"{key}.json").write_text("{not json")
    assert store.load() is None   # a damaged entry: the run answers instead


def _baseline_runs(out) -> list[str]:
    events = [json.loads(line) for line in (out / "trajectory.jsonl").read_text().splitlines()]
    return [e["type"] for e in events if e["type"] == "baseline_reused"
            or (e["type"] == "observation" and e.get("kind") == "tests")]


def test_a_second_run_on_the_same_code_reuses_the_first_ones_baseline(docker_client, tmp_path):
    repo = make_repo(tmp_path / "inventory")
    answers = json.loads(REPLAY.read_text())["responses"]
    env = {"DSFIX_ENV__REUSE_BASELINE": "true", "DSFIX_CACHE_DIR": str(tmp_path / "cache")}
    issue = (repo / "ISSUE.md").read_text()

    def fix(name: str):
        out = tmp_path / name
        r = dsfix("fix", str(repo), "--issue", issue, "--model", script(tmp_path / f"{name}.json", answers),
                  "--out", str(out), env=env)
        return r, out
    r1, first = fix("first")
    assert r1.returncode == 0, r1.stderr + r1.stdout
    assert _baseline_runs(first)[0] == "observation" and not report(first)["tests"]["before"]["reused"]
    r2, second = fix("second")
    assert r2.returncode == 0, r2.stderr + r2.stdout
    # no baseline run: the first run's; the verdict still runs the suite on the patched code
    assert _baseline_runs(second)[0] == "baseline_reused", _baseline_runs(second)
    rep1, rep2 = report(first), report(second)
    assert rep2["tests"]["before"]["reused"] and rep2["tests"]["before"]["statuses"] == rep1["tests"]["before"]["statuses"]
    assert rep2["status"] == rep1["status"] == "verified" and rep2["tests"]["after"]["statuses"]
    assert (second / "patch.diff").read_text() == (first / "patch.diff").read_text()
    assert rep1["phases"]["baseline"] > 0 and rep2["phases"]["baseline"] == 0   # no time spent on it here
    # other code: its own baseline
    (repo / "NOTES.md").write_text("a change\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "notes")
    r3, third = fix("third")
    assert r3.returncode == 0, r3.stderr + r3.stdout
    assert _baseline_runs(third)[0] == "observation"
