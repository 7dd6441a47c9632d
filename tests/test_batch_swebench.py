"""A SWE-bench-style row through `dsfix bench` (in its layered instance image, at /testbed) and then
`dsfix eval` on the predictions: the pipeline researchers run. The scripted model replays a
reproduction and the gold patch (it is not a real model)."""
from __future__ import annotations

import json
import uuid

from clirun import dsfix
from conftest import dsfix_containers
from evalfixture import GOLD_PATCH, make_fixture

REPRO = "```python\nfrom calc import add\nassert add(2, 3) == 5, add(2, 3)\n```"


def test_bench_then_eval_resolves(docker_client, tmp_path):
    repo = f"local/calc{uuid.uuid4().hex[:6]}"
    try:
        _bench_then_eval(docker_client, tmp_path, repo)
    finally:  # the fixture's env and instance images are this test's alone; prune removes the
        # instance layers before the env layer they are built on (a listing's order may not)
        from dsfix.envs.layers import prune
        prune(docker_client, "env", repo=repo)
        assert not docker_client.images.list(filters={"label": f"dsfix.repo={repo}"})


def _bench_then_eval(docker_client, tmp_path, repo):
    fx = make_fixture(tmp_path, repo=repo)
    scripts = tmp_path / "scripts"
    scripts.mkdir()
    for iid in ("local__calc-1", "local__calc-broken-env"):
        (scripts / f"{iid}.json").write_text(json.dumps({"responses": [REPRO, f"```diff\n{GOLD_PATCH}```"]}))
    out = tmp_path / "bench"
    r = dsfix("bench", "--dataset", str(fx["dataset"]), "--model", f"scripted/{scripts}/{{instance_id}}.json",
              "--mirrors", str(fx["mirrors"]), "--output", str(out), "--workers", "1")
    assert r.returncode == 0, r.stderr[-3000:]
    results = {x["instance_id"]: x for x in map(json.loads, (out / "results.jsonl").read_text().splitlines())}
    assert results["local__calc-1"]["verified"], results
    assert results["local__calc-broken-env"]["outcome"] == "error"  # its image cannot be built
    calc = results["local__calc-1"]   # its layers are this test's own: built now, and timed
    assert calc["image_source"] == "built" and calc["phases"]["image"] > 0, calc
    rep = json.loads((out / "instances/local__calc-1/report.json").read_text())
    assert rep["environment"]["image"].startswith("dsfix/inst:")
    assert rep["tests"]["command"].endswith("--continue-on-collection-errors tests/test_calc.py")  # related tests only
    r = dsfix("eval", "--dataset", str(fx["dataset"]), "--predictions", str(out / "preds.jsonl"),
              "--mirrors", str(fx["mirrors"]), "--run-id", "pipe", "--output", str(tmp_path / "eval"), "--no-pull")
    assert r.returncode == 0, r.stderr[-3000:]
    summary = json.loads(next((tmp_path / "eval").glob("*pipe*.json")).read_text())
    assert summary["resolved_ids"] == ["local__calc-1"]
    assert dsfix_containers(docker_client) == []
