"""`dsfix bench` says where each instance's time went and which runs came close to their timeout:
real CLI processes, real containers, real git mirrors; the scripted model replays answers."""
from __future__ import annotations

import json
import re

import pytest

from batchfix import BAD_DIFF, REPRO, dataset, good, mirror
from clirun import dsfix

from dsfix.agent.batch.phases import PHASES


def bench_args(ds, tmp_path, out, *extra):
    return ["bench", "--dataset", str(ds), "--model", f"scripted/{tmp_path}/scripts/{{instance_id}}.json",
            "--mirrors", str(tmp_path / "mirrors"), "--output", str(out), "--workers", "1", *extra]


def rows(out) -> dict[str, dict]:
    return {r["instance_id"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}


def test_progress_lines_and_phases_in_a_non_terminal_log(docker_client, tmp_path):
    mirrors, commit = mirror(tmp_path)
    ds = dataset(tmp_path, {"inv-1": good(), "inv-2": [REPRO, BAD_DIFF]}, commit)
    out = tmp_path / "out"
    r = dsfix(*bench_args(ds, tmp_path, out, "--max-steps", "4"))   # stderr is a pipe, not a terminal
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    starts = [i for i, line in enumerate(lines) if re.fullmatch(r"start inv-[12] \([12]/2\)", line)]
    ends = {m.group(1): (i, m) for i, line in enumerate(lines)
            if (m := re.match(r"end   (inv-[12]) (\w+) (\d+\.\d)s \$(\d+\.\d{4})(?: \+ unknown)? image reused", line))}
    assert len(starts) == 2 and set(ends) == {"inv-1", "inv-2"}, r.stderr
    assert ends["inv-1"][1].group(2) == "verified" and ends["inv-2"][1].group(2) == "limit_steps"
    assert starts[0] < ends["inv-1"][0] < starts[1] < ends["inv-2"][0]   # one worker: one at a time
    res = rows(out)
    for iid, row in res.items():
        assert row["image_source"] == "reused" and set(row["phases"]) == set(PHASES)
        assert abs(sum(row["phases"].values()) - row["seconds"]) < 0.05, row
        assert float(ends[iid][1].group(3)) == pytest.approx(row["seconds"], abs=0.06)
        assert all(row["phases"][k] > 0 for k in ("checkout", "localize", "container", "baseline", "model")), row
        assert row["near_timeout"] == [] and row["test_timeout"] == 300
    assert res["inv-1"]["phases"]["verdict"] > 0 and res["inv-1"]["phases"]["tests"] > 0
    rep = json.loads((out / "instances/inv-1/report.json").read_text())
    assert rep["image_source"] == "reused" and rep["phases"]["baseline"] == rep["tests"]["before"]["seconds"]
    r = dsfix("bench", "report", str(out), env={"COLUMNS": "250"})
    assert r.returncode == 0 and "seconds by phase" in r.stderr and "mean seconds outside the model" in r.stderr
    assert re.search(r"inv-1 +│ verified +│ reused", r.stderr), r.stderr


def test_runs_near_their_timeout_are_reported_and_the_spec_sets_it(docker_client, tmp_path):
    """The spec's test_timeout (here from DSFIX_SPEC__TEST_TIMEOUT) is the limit; a test run that
    sleeps past 80% of it finishes, and report.json and the batch row say so with its seconds."""
    mirrors, commit = mirror(tmp_path)
    ds = dataset(tmp_path, {"inv-1": [good()[0], good()[-1]]}, commit)   # the reproduction, the right fix
    out = tmp_path / "out"
    env = {"DSFIX_SPEC__TEST_TIMEOUT": "16", "DSFIX_SPEC__TEST_CMD": "sleep 13 && python -m pytest -rA"}
    r = dsfix(*bench_args(ds, tmp_path, out), env=env)
    assert r.returncode == 0, r.stderr
    row = rows(out)["inv-1"]
    assert row["status"] == "verified" and row["test_timeout"] == 16
    near = row["near_timeout"]   # the baseline and the whole suite (a compound command gets no quick check)
    assert len(near) == 2 and all(13 <= n["seconds"] < 16 and n["timeout"] == 16 for n in near), near
    assert near[0]["command"] == "sleep 13 && python -m pytest -rA" and "NEAR TIMEOUT (2 run(s))" in r.stderr
    rep = json.loads((out / "instances/inv-1/report.json").read_text())
    assert [n["seconds"] for n in rep["near_timeout"]] == [n["seconds"] for n in near]
    assert rep["phases"]["baseline"] >= 13 and rep["phases"]["verdict"] >= 13


def test_an_explicit_exec_timeout_wins_over_the_spec(tmp_path):
    from dsfix.agent.batch.worker import instance_settings
    inst = {"instance_id": "x", "repo": "local/x", "base_commit": "0" * 40, "version": "1"}
    job = {"overrides": {}, "model": "scripted/none", "instance_images": False,
           "environ": {"DSFIX_SPEC__TEST_TIMEOUT": "900"}}
    assert instance_settings(inst, job, {}).env.exec_timeout == 900
    job["environ"]["DSFIX_ENV__EXEC_TIMEOUT"] = "120"
    assert instance_settings(inst, job, {}).env.exec_timeout == 120
    job["environ"] = {}
    assert instance_settings(inst, job, {}).env.exec_timeout == 300


def test_large_swebench_suites_get_a_longer_test_timeout():
    from dsfix.envs.specs.swebench import swebench_spec
    assert swebench_spec("sympy/sympy", "1.7").test_timeout == 900
    assert swebench_spec("mwaskom/seaborn", "0.12").test_timeout == 900
    assert swebench_spec("psf/requests", "2.10").test_timeout is None   # the default 300 s is plenty
