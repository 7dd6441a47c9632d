"""`dsfix bench`: real CLI processes, real containers, real git mirrors; the scripted model replays answers."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

from batchfix import BAD_DIFF, REPRO, dataset, good, mirror, read_preds
from clirun import DSFIX, dsfix
from conftest import dsfix_containers


def bench_args(ds, tmp_path, out, workers=2, *extra):
    return ["bench", "--dataset", str(ds), "--model", f"scripted/{tmp_path}/scripts/{{instance_id}}.json",
            "--mirrors", str(tmp_path / "mirrors"), "--output", str(out), "--workers", str(workers), *extra]


def test_run_resume_and_retry_errors(docker_client, tmp_path):
    mirrors, commit = mirror(tmp_path)
    ds = dataset(tmp_path, {"inv-1": good(), "inv-2": [REPRO, BAD_DIFF], "inv-3": good()}, commit, bad_commit={"inv-3"})
    out = tmp_path / "out"
    r = dsfix(*bench_args(ds, tmp_path, out, 2, "--max-steps", "4"))
    assert r.returncode == 0, r.stderr
    preds = {p["instance_id"]: p for p in read_preds(out / "preds.jsonl")}
    assert set(preds) == {"inv-1", "inv-2"}  # infrastructure errors get no prediction
    assert "+    for start in range(0, len(items), size):" in preds["inv-1"]["model_patch"]
    assert preds["inv-2"]["model_patch"] == ""
    results = {r["instance_id"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert results["inv-1"]["verified"] and results["inv-2"]["status"] == "limit_steps"
    assert results["inv-3"]["outcome"] == "error" and "not found" in results["inv-3"]["error"]
    run = json.loads((out / "run.json").read_text())
    assert run["model"].startswith("scripted/") and run["instance_ids"] == ["inv-1", "inv-2", "inv-3"]
    assert (out / "instances/inv-1/trajectory.jsonl").is_file() and (out / "instances/inv-1/report.json").is_file()
    assert dsfix_containers(docker_client) == []
    # Resume: nothing finished runs again; the error is retried only when asked.
    mtime = (out / "instances/inv-1/report.json").stat().st_mtime
    r = dsfix(*bench_args(ds, tmp_path, out, 2))
    assert r.returncode == 0 and (out / "instances/inv-1/report.json").stat().st_mtime == mtime
    r = dsfix(*bench_args(ds, tmp_path, out, 2, "--retry-errors"))
    assert r.returncode == 0
    assert len(read_preds(out / "preds.jsonl")) == 2
    r = dsfix("bench", "report", str(out), env={"COLUMNS": "200"})
    assert r.returncode == 0 and "verified by own tests" in r.stderr and "dsfix eval" in r.stderr


def test_kill_9_then_rerun_loses_and_duplicates_nothing(docker_client, tmp_path):
    mirrors, commit = mirror(tmp_path)
    ids = [f"inv-{i}" for i in range(4)]
    ds = dataset(tmp_path, {i: good() for i in ids}, commit)
    out = tmp_path / "out"
    args = bench_args(ds, tmp_path, out, 1)
    proc = subprocess.Popen([DSFIX, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"})
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if (out / "preds.jsonl").is_file():
            read_preds(out / "preds.jsonl")  # valid JSONL at every moment
            if len(read_preds(out / "preds.jsonl")) >= 1:
                break
        time.sleep(0.05)
    second = dsfix(*args)   # a second bench on the same output would run instances twice
    assert second.returncode == 2 and "another dsfix bench is writing to" in second.stderr, second.stderr
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = read_preds(out / "preds.jsonl")
    assert 1 <= len(first) < 4
    time.sleep(3)  # pool workers die with their coordinator and remove their containers
    assert dsfix_containers(docker_client) == []
    r = dsfix(*args)
    assert r.returncode == 0, r.stderr
    final = read_preds(out / "preds.jsonl")
    assert sorted(p["instance_id"] for p in final) == ids
    assert [p for p in final if p["instance_id"] in {q["instance_id"] for q in first}] == first


def test_total_cost_cap_stops_new_and_running_instances(docker_client, tmp_path):
    mirrors, commit = mirror(tmp_path)
    slow_repro = "```python\nimport time\ntime.sleep(20)\nraise SystemExit(1)\n```"
    usage = {"prompt_tokens": 100_000, "completion_tokens": 0}  # $0.10 per call at $1/Mtok
    ds = dataset(tmp_path, {"a-fast": good(), "b-slow": [slow_repro, BAD_DIFF], "c": good(), "d": good()},
                 commit, usage=usage)
    out = tmp_path / "out"
    price = {"DSFIX_MODEL__PRICE__INPUT": "1.0", "DSFIX_MODEL__PRICE__OUTPUT": "1.0"}
    r = dsfix(*bench_args(ds, tmp_path, out, 2, "--max-total-cost", "0.25"), env=price)
    assert r.returncode == 1, r.stderr  # some instances never started
    results = {r["instance_id"]: r for r in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert set(results) == {"a-fast", "b-slow"}  # nothing started after the cap was reached
    assert results["b-slow"]["status"] == "stopped"  # the running one ended at its next step
    assert "not started (budget)" in r.stderr
    assert dsfix_containers(docker_client) == []


def test_ray_cluster_gives_same_predictions_as_local(docker_client, tmp_path):
    import socket
    import sys
    from pathlib import Path
    ray_bin = str(Path(sys.executable).parent / "ray")
    mirrors, commit = mirror(tmp_path)
    ds = dataset(tmp_path, {"inv-1": good(), "inv-2": [REPRO, BAD_DIFF]}, commit)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Loopback only (Ray otherwise swaps 127.0.0.1 for the host address); a throwaway cluster needs no token.
    loop = {"RAY_USAGE_STATS_ENABLED": "0", "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0", "RAY_AUTH_MODE": "disabled"}
    env = {**os.environ, **loop}
    subprocess.run([ray_bin, "start", "--head", "--num-cpus", "2", "--port", str(port), "--include-dashboard=false",
                    "--node-ip-address", "127.0.0.1", "--disable-usage-stats"],
                   check=True, capture_output=True, env=env, timeout=180)
    try:
        r = dsfix(*bench_args(ds, tmp_path, tmp_path / "ray", 2, "--max-steps", "4", "--executor", "ray",
                              "--ray-address", f"127.0.0.1:{port}"), env=loop)
        assert r.returncode == 0, r.stderr[-3000:]
    finally:
        subprocess.run([ray_bin, "stop", "--force"], capture_output=True, env=env, timeout=120)
    r = dsfix(*bench_args(ds, tmp_path, tmp_path / "local", 2, "--max-steps", "4"))
    assert r.returncode == 0, r.stderr
    by_id = lambda p: sorted(read_preds(p), key=lambda x: x["instance_id"])  # noqa: E731
    ray_preds, local_preds = by_id(tmp_path / "ray/preds.jsonl"), by_id(tmp_path / "local/preds.jsonl")
    assert ray_preds == local_preds and len(ray_preds) == 2 and ray_preds[0]["model_patch"]
    assert dsfix_containers(docker_client) == []
