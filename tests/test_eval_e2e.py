"""`dsfix eval` end to end on a fixture repository, in real containers (no network in test runs)."""
from __future__ import annotations

import json
import threading
import time
import uuid

import pytest

from evalfixture import FIXTURE_SPEC, make_fixture

from dsfix.envs.evaluate.dataset import load_dataset, load_predictions
from dsfix.envs.evaluate.harness import run_evaluation
from dsfix.envs.evaluate.run import evaluate_instance
from dsfix.envs.layers import prune
from dsfix.envs.sources import Sources

pytestmark = pytest.mark.docker


@pytest.fixture(scope="module")
def fixture(tmp_path_factory, docker_client):
    fx = make_fixture(tmp_path_factory.mktemp("evalfx"), repo=f"local/calc-{uuid.uuid4().hex[:8]}")
    yield fx
    prune(docker_client, "env", repo=fx["repo"])   # this session's images only


def _eval_containers(client, repo: str) -> set[str]:
    return {c.id for c in client.containers.list(all=True, sparse=True, filters={"label": f"dsfix.repo={repo}"})}


def _run(fx, docker_client, preds, run_id, out, **kw):
    rows = load_dataset(str(fx["dataset"]))
    return run_evaluation(rows, load_predictions(preds, rows) if isinstance(preds, str) else preds,
                          run_id=run_id, output=out, sources=Sources(fx["mirrors"], online=False),
                          client=docker_client, pull=False, progress=False, workers=2, timeout=120, **kw)


def test_gold_resolves_empty_is_empty_and_bad_build_is_error(fixture, docker_client, tmp_path):
    before = _eval_containers(docker_client, fixture['repo'])
    s = _run(fixture, docker_client, "gold", "gold-run", tmp_path)
    assert s["resolved_ids"] == ["local__calc-1"]
    assert s["error_ids"] == ["local__calc-broken-env"]          # install fails: error, never unresolved
    assert "image" in s["error_reasons"]["local__calc-broken-env"]
    assert s["unresolved_ids"] == [] and s["empty_patch_ids"] == []
    # the official layout and file names
    d = tmp_path / "logs/run_evaluation/gold-run/gold/local__calc-1"
    for name in ("report.json", "test_output.txt", "patch.diff", "eval.sh", "run_instance.log"):
        assert (d / name).is_file(), name
    report = json.loads((d / "report.json").read_text())["local__calc-1"]
    assert report["resolved"] and report["patch_successfully_applied"]
    assert report["tests_status"]["FAIL_TO_PASS"]["success"] == ["tests/test_calc.py::test_add"]
    assert "pytest" in (d / "eval.sh").read_text() and "tests/test_calc.py" in (d / "eval.sh").read_text()
    # an image that cannot build says nothing about the patch: its report is labelled an
    # infrastructure failure (swebench 5.x), never resolved and never "unresolved"
    broken = json.loads((tmp_path / "logs/run_evaluation/gold-run/gold/local__calc-broken-env/report.json")
                        .read_text())["local__calc-broken-env"]
    assert broken["infra_failure"] is True and broken["resolved"] is False
    assert broken["infra_failure_reason"].startswith("image:")
    assert s["infra_failure_ids"] == ["local__calc-broken-env"]
    summary = json.loads((tmp_path / "gold.gold-run.json").read_text())
    assert summary["resolved_instances"] == 1 and summary["error_instances"] == 1
    assert _eval_containers(docker_client, fixture['repo']) == before   # every container removed

    # second run: env and instance images are reused, nothing is rebuilt
    s2 = _run(fixture, docker_client, "empty", "empty-run", tmp_path, instance_ids=["local__calc-1"])
    assert s2["empty_patch_ids"] == ["local__calc-1"] and s2["resolved_ids"] == []
    s3 = _run(fixture, docker_client, "gold", "again", tmp_path, instance_ids=["local__calc-1"])
    r = s3["results"]["local__calc-1"]
    assert r["status"] == "resolved" and r["built"] == []


def test_syntax_error_patch_unresolved_and_unappliable_patch_error(fixture, docker_client, tmp_path):
    rows = load_dataset(str(fixture["dataset"]))
    inst = next(r for r in rows if r["instance_id"] == "local__calc-1")
    src = Sources(fixture["mirrors"], online=False)
    bad = inst["patch"].replace("return a + b", "return a +* b")
    r = evaluate_instance(inst, bad, client=docker_client, sources=src, log_dir=tmp_path / "syntax", timeout=120)
    assert r["status"] == "unresolved" and r["report"]["patch_successfully_applied"]
    assert r["tests_status"]["FAIL_TO_PASS"]["failure"] == ["tests/test_calc.py::test_add"]
    r = evaluate_instance(inst, "", client=docker_client, sources=src, run_empty=True, timeout=120)
    assert r["status"] == "unresolved" and r["empty_patch"]           # the bug is there without a patch
    r = evaluate_instance(inst, inst["patch"].replace("a - b", "a / b"), client=docker_client, sources=src,
                          log_dir=tmp_path / "noapply", timeout=120)
    assert r["status"] == "error" and r["error_kind"] == "patch_apply"   # as the official harness
    assert "Patch Apply Failed" in (tmp_path / "noapply/run_instance.log").read_text()


def test_timeout_and_killed_container_are_errors(fixture, docker_client, tmp_path):
    rows = load_dataset(str(fixture["dataset"]))
    inst = dict(next(r for r in rows if r["instance_id"] == "local__calc-1"))
    src = Sources(fixture["mirrors"], online=False)
    inst["spec"] = {**FIXTURE_SPEC, "test_cmd": "sleep 60; python -m pytest -rA"}
    r = evaluate_instance(inst, inst["patch"], client=docker_client, sources=src, timeout=3)
    assert r["status"] == "error" and r["error_kind"] == "timeout"
    inst["spec"] = {**FIXTURE_SPEC, "test_cmd": "sleep 30; python -m pytest -rA"}
    inst["instance_id"] = iid = f"local__calc-kill-{uuid.uuid4().hex[:8]}"

    def kill_it():   # the engine loses the container mid-run
        for _ in range(100):
            time.sleep(0.2)
            for c in docker_client.containers.list(filters={"label": f"dsfix.eval={iid}"}):
                c.kill()
                return
    threading.Thread(target=kill_it, daemon=True).start()
    r = evaluate_instance(inst, inst["patch"], client=docker_client, sources=src, timeout=60)
    assert r["status"] == "error" and r["error_kind"] == "engine", r
    assert r["seconds"]["total"] < 25


def test_interrupt_removes_containers(fixture, docker_client):
    from dsfix.envs.evaluate import run
    rows = load_dataset(str(fixture["dataset"]))
    inst = dict(next(r for r in rows if r["instance_id"] == "local__calc-1"))
    inst["spec"] = {**FIXTURE_SPEC, "test_cmd": "sleep 30; python -m pytest -rA"}
    out = {}
    t = threading.Thread(target=lambda: out.update(evaluate_instance(
        inst, inst["patch"], client=docker_client, sources=Sources(fixture["mirrors"], online=False), timeout=60)))
    t.start()
    for _ in range(200):
        if run._LIVE:
            break
        time.sleep(0.1)
    try:
        assert run.remove_live_containers() == 1      # what Ctrl-C / SIGTERM in `dsfix eval` calls
        t.join(30)
        assert out["status"] == "error" and out["error_kind"] == "interrupted" and out["seconds"]["total"] < 25
        assert _eval_containers(docker_client, fixture["repo"]) == set()
    finally:
        run.STOP.clear()


def test_missing_commit_is_error(fixture, docker_client, tmp_path):
    rows = load_dataset(str(fixture["dataset"]))
    inst = dict(next(r for r in rows if r["instance_id"] == "local__calc-1"), base_commit="f" * 40)
    r = evaluate_instance(inst, inst["patch"], client=docker_client, sources=Sources(fixture["mirrors"], online=False))
    assert r["status"] == "error" and r["error_kind"] == "source" and "not found" in r["error"]


def test_cli_eval_on_the_fixture(fixture, tmp_path):
    from typer.testing import CliRunner

    from dsfix.envs.evaluate import cli
    r = CliRunner().invoke(cli.app, ["--dataset", str(fixture["dataset"]), "--predictions", "gold", "--offline",
                                     "--mirrors", str(fixture["mirrors"]), "--output", str(tmp_path), "--run-id", "cli",
                                     "--instance-ids", "local__calc-1", "--timeout", "120", "--workers", "2"])
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / "gold.cli.json").read_text())
    assert summary["resolved_ids"] == ["local__calc-1"] and summary["submitted_instances"] == 2
    assert "resolved 1" in r.output


def test_unprovisionable_python_is_error(fixture, docker_client, tmp_path, monkeypatch):
    # no Debian release ships 3.10; no toolchain archive, installation or download can provide it here
    monkeypatch.setenv("DSFIX_PYTHON_DIR", str(tmp_path / "no-toolchains"))
    monkeypatch.setenv("DSFIX_PYTHON_PREFIXES", "")
    monkeypatch.setenv("DSFIX_PYTHON_URL", "")
    rows = load_dataset(str(fixture["dataset"]))
    inst = dict(next(r for r in rows if r["instance_id"] == "local__calc-1"), spec={**FIXTURE_SPEC, "python": "3.10"})
    r = evaluate_instance(inst, inst["patch"], client=docker_client, sources=Sources(fixture["mirrors"], online=False))
    assert r["status"] == "error" and r["error_kind"] == "python" and "--python-fallback" in r["error"]


def _calc(fixture) -> dict:
    return dict(next(r for r in load_dataset(str(fixture["dataset"])) if r["instance_id"] == "local__calc-1"))


def test_eval_containers_are_dsfix_runtime_containers(fixture, docker_client, monkeypatch):
    """Evaluation starts its container through the runtime fix and bench use: the owner labels
    (so `env prune` and the next run find it if its owner is killed) and the same hardening."""
    import os

    from docker.models.containers import ContainerCollection
    made, real = [], ContainerCollection.create

    def create_and_record(self, *args, **kwargs):
        c = real(self, *args, **kwargs)
        made.append(self.client.api.inspect_container(c.id))
        return c
    monkeypatch.setattr(ContainerCollection, "create", create_and_record)
    inst = _calc(fixture)
    r = evaluate_instance(inst, inst["patch"], client=docker_client,
                          sources=Sources(fixture["mirrors"], online=False), timeout=120)
    assert r["status"] == "resolved", r
    [attrs] = [a for a in made if a["Config"]["Labels"].get("dsfix.eval") == "local__calc-1"]
    labels, host = attrs["Config"]["Labels"], attrs["HostConfig"]
    assert labels["dsfix.pid"] == str(os.getpid()) and labels["dsfix.started"] and labels["dsfix.host"]
    assert host["NetworkMode"] == "none" and host["Memory"] == 8 * 2**30 and host["MemorySwap"] == host["Memory"]
    assert host["PidsLimit"] == 4096 and "no-new-privileges" in host["SecurityOpt"]
    assert {"NET_RAW", "MKNOD"} <= set(host["CapDrop"]) and host["Init"] is True


def test_ctrl_c_while_the_engine_creates_the_eval_container_leaves_none(fixture, docker_client, monkeypatch):
    """The interrupt lands between the engine's create and its reply: the handle never came back,
    and the container is still found (by the name chosen before asking) and removed."""
    from docker.models.containers import ContainerCollection
    real = ContainerCollection.create
    before = _eval_containers(docker_client, fixture["repo"])

    def create_then_interrupt(self, *args, **kwargs):
        real(self, *args, **kwargs)
        raise KeyboardInterrupt
    monkeypatch.setattr(ContainerCollection, "create", create_then_interrupt)
    inst = _calc(fixture)
    with pytest.raises(KeyboardInterrupt):
        evaluate_instance(inst, inst["patch"], client=docker_client,
                          sources=Sources(fixture["mirrors"], online=False), timeout=120)
    assert _eval_containers(docker_client, fixture["repo"]) == before


# Keeps the bug (add still subtracts) and prints the result it wants, in the two places a log
# parser could be fooled: a line printed while the tests run (under -rA pytest shows captured
# output too) and one printed after pytest's final tally (atexit).
FAKE_PASS = """diff --git a/calc.py b/calc.py
--- a/calc.py
+++ b/calc.py
@@ -1,2 +1,6 @@
+import atexit
+print("PASSED tests/test_calc.py::test_add")
+atexit.register(print, "PASSED tests/test_calc.py::test_add")
+
 def add(a, b):
     return a - b
"""


def test_a_patch_that_prints_fake_passes_is_not_resolved(fixture, docker_client, tmp_path):
    inst = _calc(fixture)
    r = evaluate_instance(inst, FAKE_PASS, client=docker_client, sources=Sources(fixture["mirrors"], online=False),
                          log_dir=tmp_path / "fake", timeout=120)
    log = (tmp_path / "fake/test_output.txt").read_text()
    assert log.count("PASSED tests/test_calc.py::test_add") >= 2   # the fake lines are in the log
    assert r["status"] == "unresolved" and not r["resolved"], r
    assert r["tests_status"]["FAIL_TO_PASS"]["failure"] == ["tests/test_calc.py::test_add"]
